"""The pytest fixtures, run as users run them: pytest in a subprocess on small test files."""

from __future__ import annotations

import pathlib
import shutil
import tempfile
import textwrap
import unittest

from tests.support import import_extra
from tests.support.pytest_run import run_pytest
from tests.support.upstreams import api_app, serve

PASSING = '''
import json, re, smtplib, urllib.error, urllib.request
import pytest

PORTS = []

def fetch(url, data=None, **kwargs):
    try:
        with urllib.request.urlopen(url, data=data, timeout=10, **kwargs) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()

def test_stubs_and_assertions(fake_http):
    fake_http.stub("POST", "/upload").respond(503).then(201, json={"ok": True})
    assert fetch(fake_http.url_for("/upload"), b"data")[0] == 503
    assert fetch(fake_http.url + "/upload", b"data") == (201, b'{"ok": true}')
    assert fetch(fake_http.url_for("items?page=2"))[0] == 404  # allowed below
    fake_http.allow_unmatched_requests = True
    request = fake_http.assert_requested("/upload", method="POST", body=b"data", count=2)
    assert request.response.status == 201
    fake_http.assert_not_requested("/upload", method="GET")
    fake_http.assert_request_count(3)
    fake_http.assert_requests_in_order(("POST", "/upload"), "/items")
    fake_http.assert_all_stubs_used()
    assert [r.path for r in fake_http.requests] == ["/upload", "/upload", "/items"]
    PORTS.append(fake_http.address)

def test_journal_stubs_and_settings_are_fresh_per_test(fake_http, tmp_path):
    assert fake_http.requests == [] and fake_http.stubs.stubs == []
    assert fake_http.allow_unmatched_requests is False
    assert fetch(fake_http.url)[0] == 404  # no stubs: strict, nothing but stubs is served
    fake_http.allow_unmatched_requests = True
    path = tmp_path / "stubs.json"
    path.write_text(json.dumps([{"request": {"path": "/f"}, "response": {"text": "from file"}}]))
    fake_http.load_stubs(path)
    assert fetch(fake_http.url_for("/f")) == (200, b"from file")
    fake_http.assert_request_count(2)
    PORTS.append(fake_http.address)

def test_scenarios(fake_http):
    fake_http.stub("POST", "/cart", scenario="cart", state="Started",
                   new_state="has-item").respond(201)
    assert fake_http.scenario_state("cart") == "Started"
    assert fetch(fake_http.url_for("/cart"), b"apple")[0] == 201
    fake_http.assert_scenario_state("cart", "has-item")
    fake_http.set_scenario_state("cart", "Started")
    with pytest.raises(AssertionError, match="^Expected scenario 'cart' to be 'has-item'; "
                                             "it is 'Started'.$"):
        fake_http.assert_scenario_state("cart", "has-item")

def test_wait_for_request(fake_http):
    import threading
    fake_http.stub("POST", "/hook")
    caller = threading.Thread(target=fetch, args=(fake_http.url_for("/hook"), b"late"))
    caller.start()
    assert fake_http.wait_for_request("/hook", method="POST", timeout=30).body == b"late"
    caller.join()
    assert fake_http.assert_requested("/hook", timeout=1).body == b"late"
    with pytest.raises(AssertionError, match="^Expected a request matching /other within 0.01s; "
                                             "0 of 1 recorded request match."):
        fake_http.wait_for_request("/other", timeout=0.01)

def test_one_server_per_session():
    assert len(PORTS) == 2 and PORTS[0] == PORTS[1]

def test_factory_serves_apps_and_tls(fake_server_factory):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["wsgi.url_scheme"].encode()]
    plain = fake_server_factory(app)
    secure = fake_server_factory(tls=True)
    secure.stub("GET", "/s").respond(text="secret")
    import fakeserver
    assert fetch(plain.url) == (200, b"http")
    assert fetch(secure.url_for("/s"), context=fakeserver.client_ssl_context()) == (200, b"secret")
    plain.assert_requested("/")
    secure.assert_requested("/s", method="GET")
    with pytest.raises(TypeError, match="stubs are served only when no app is given"):
        plain.stub("GET", "/")
    PORTS.append(plain.address)

def test_factory_servers_stopped_after_the_test():
    import socket
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(PORTS[-1], timeout=5).close()

def test_smtp(fake_smtp):
    fake_smtp.users = {"ann": "secret"}
    with smtplib.SMTP(*fake_smtp.address, timeout=10) as client:
        client.login("ann", "secret")
        client.sendmail("ann@example.com", ["bob@example.com"], b"Subject: hi\\r\\n\\r\\nhello")
    [message] = fake_smtp.messages
    assert message.message["Subject"] == "hi" and message.user == "ann"

def test_smtp_outbox_and_settings_fresh(fake_smtp):
    assert fake_smtp.messages == [] and fake_smtp.users is None

def test_pypi(fake_pypi):
    fake_pypi.index.add("demo-1.0.tar.gz", b"not really a tarball")
    assert fake_pypi.uploads == []  # added by the test, not uploaded
    status, page = fetch(fake_pypi.index_url + "demo/")
    assert status == 200 and b"demo-1.0.tar.gz" in page
    fake_pypi.assert_requested("/simple/demo/", method="GET")
    assert fake_pypi.upload_url.endswith("/legacy/")

def test_pypi_fresh(fake_pypi):
    assert fake_pypi.index.files == []
'''

FAILING = '''
import urllib.error, urllib.request

def fetch(url, data=None):
    try:
        urllib.request.urlopen(url, data=data, timeout=10).close()
    except urllib.error.HTTPError as error:
        error.close()

def test_assertion(fake_http):
    fetch(fake_http.url + "/uplod", b"data")
    fetch(fake_http.url + "/other?q=1")
    fake_http.assert_requested("/upload", method="POST")

def test_unmatched(fake_http):
    fake_http.stub("POST", "/upload").respond(201)
    fetch(fake_http.url + "/uplod", b"data")

def test_app_error(fake_server_factory):
    def broken(environ, start_response):
        raise ZeroDivisionError("the app divided by zero")
    fetch(fake_server_factory(broken).url)

def test_fails_anyway(fake_http):
    fake_http.stub("GET", "/a").respond(200)
    fetch(fake_http.url + "/b")
    assert 1 == 2

def test_truncated(fake_http):
    fake_http.max_requests_shown = 1
    fetch(fake_http.url + "/a")
    fetch(fake_http.url + "/b")
    fake_http.assert_request_count(0)

def test_unused_stub(fake_http):
    fake_http.stub("GET", "/never").respond(200)
    fake_http.assert_all_stubs_used()
'''

MAIL_AND_UPLOADS = '''
import smtplib
from tests.support.distributions import build_sdist, build_wheel, distutils_upload

def send(fake_smtp, to, subject):
    with smtplib.SMTP(*fake_smtp.address, timeout=10) as client:
        client.sendmail("noreply@example.com", [to], f"Subject: {subject}\\r\\n\\r\\nhello".encode())

def test_mail_assertions_pass(fake_smtp):
    fake_smtp.assert_no_mail_sent()
    send(fake_smtp, "ann@example.com", "Welcome")
    message = fake_smtp.assert_mail_sent(to="ANN@example.com", sender="noreply@example.com",
                                         subject="Welcome", count=1)
    assert message["Subject"] == "Welcome"
    assert fake_smtp.assert_mail_sent(to="bob@example.com", count=0) is None
    assert [m.rcpt_tos for m in fake_smtp.outbox] == [["ann@example.com"]]

def test_mail_sent_fails(fake_smtp):
    fake_smtp.max_messages_shown = 1
    send(fake_smtp, "ann@example.com", "Reminder")
    send(fake_smtp, "bob@example.com", "Welcome")
    fake_smtp.assert_mail_sent(to="ann@example.com", subject="Welcome")

def test_no_mail_sent_fails(fake_smtp):
    assert fake_smtp.max_messages_shown == 10 and fake_smtp.outbox == []
    send(fake_smtp, "ann@example.com", "Welcome")
    fake_smtp.assert_no_mail_sent()

def test_upload_assertions_and_client_settings(fake_pypi):
    assert distutils_upload(fake_pypi.upload_url, *build_sdist()).status == 200
    record = fake_pypi.assert_uploaded("Demo", "1.0", "sdist")
    assert record.filename == "demo-1.0.tar.gz"
    fake_pypi.assert_not_uploaded("demo", "2.0")
    assert fake_pypi.uploads == [record]
    assert fake_pypi.pip_env()["PIP_INDEX_URL"] == fake_pypi.index_url
    env = fake_pypi.twine_env()
    assert (env["TWINE_REPOSITORY_URL"], env["TWINE_USERNAME"]) == (fake_pypi.upload_url, "__token__")
    assert f"repository = {fake_pypi.upload_url}\\n" in fake_pypi.pypirc()

def test_waits_for_late_mail_and_uploads(fake_smtp, fake_pypi):
    import threading
    sender = threading.Thread(target=send, args=(fake_smtp, "ann@example.com", "Late"))
    uploader = threading.Thread(target=distutils_upload, args=(fake_pypi.upload_url, *build_sdist()))
    sender.start()
    uploader.start()
    assert fake_smtp.wait_for_mail(to="ann@example.com", timeout=30)["Subject"] == "Late"
    assert fake_pypi.wait_for_upload("demo", "1.0", timeout=30).filetype == "sdist"
    sender.join()
    uploader.join()

def test_uploaded_fails(fake_pypi):
    fake_pypi.max_uploads_shown = 1
    for minor in range(3):
        distutils_upload(fake_pypi.upload_url, *build_wheel(version=f"0.{minor}"),
                         version=f"0.{minor}")
    fake_pypi.assert_uploaded("demo", "1.0")

def test_not_uploaded_fails(fake_pypi):
    distutils_upload(fake_pypi.upload_url, *build_sdist())
    fake_pypi.assert_not_uploaded("DEMO", filetype="sdist")
'''


UPSTREAM = '''
import json, os, urllib.request

UPSTREAM = os.environ["UPSTREAM_URL"]

def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)

def test_octocat(fake_upstream):
    server = fake_upstream(UPSTREAM, secrets={"<USER>": "octocat"})
    assert get(server.url_for("/users/octocat"))["login"] == "octocat"
    server.assert_requested("/users/octocat", method="GET")

class TestInClass:
    def test_two_upstreams(self, fake_upstream):
        one, two = fake_upstream(UPSTREAM), fake_upstream(UPSTREAM)
        assert get(one.url_for("/users/a"))["login"] == "a"
        assert get(two.url_for("/users/b"))["login"] == "b"

def test_fails(fake_upstream):
    assert get(fake_upstream(UPSTREAM).url_for("/users/c"))["login"] == "not c"
'''


MATCHERS = '''
import smtplib, urllib.error, urllib.request
from fakeserver import match
from tests.support.distributions import build_wheel, distutils_upload

def post(url, body, headers):
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()

def test_matchers_pass(fake_http, fake_smtp, fake_pypi):
    fake_http.stub("POST", "/orders", headers={"X-Id": match.regex(r"^[0-9]+$")},
                   json=match.json_contains({"items": [{"sku": "A1"}]})).respond(201)
    assert post(fake_http.url_for("/orders"), b'{"items": [{"sku": "A1"}], "id": 1}',
                {"X-Id": "7"})[0] == 201
    fake_http.assert_requested("/orders", json={"items": match.ANY, "id": lambda id: id > 0})
    fake_http.assert_not_requested("/orders", headers={"X-Id": match.ABSENT})
    with smtplib.SMTP(*fake_smtp.address, timeout=10) as client:
        client.sendmail("noreply@example.com", ["ann@example.com"], b"Subject: Welcome\\r\\n\\r\\nhi")
    fake_smtp.assert_mail_sent(to=match.regex("@example[.]com$"), subject=match.contains("Wel"))
    distutils_upload(fake_pypi.upload_url, *build_wheel(version="1.2"), version="1.2")
    fake_pypi.assert_uploaded("demo", match.regex("^1[.]"))

def test_json_difference(fake_http):
    fake_http.stub("POST", "/orders", headers={"X-Id": match.regex("^[0-9]+$")})
    post(fake_http.url_for("/orders"), b'{"items": [{"sku": "A1", "qty": 99}], "extra": 1}',
         {"X-Id": "abc"})
    fake_http.assert_requested("/orders", json={"items": [{"sku": "A1", "qty": 3}], "note": "gift"})

def test_mail_matcher_fails(fake_smtp):
    with smtplib.SMTP(*fake_smtp.address, timeout=10) as client:
        client.sendmail("noreply@example.com", ["ann@example.com"], b"Subject: Welcome\\r\\n\\r\\nhi")
    fake_smtp.assert_mail_sent(to=match.regex("@corp[.]example$"))
'''


class PytestPluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        import_extra("pytest")

    def run_pytest(self, source: str, *args: str, folder: str | None = None,
                   ini: str = "[pytest]\n", **environ: str) -> tuple[str, dict[str, int]]:
        """Run pytest on *source* in a fresh directory (or *folder*), with *environ* added to
        the environment; return its output and outcome counts."""
        return run_pytest(self, {"test_example.py": textwrap.dedent(source)}, *args,
                          folder=folder, ini=ini, environ=environ)

    def test_fixtures_pass(self) -> None:
        output, counts = self.run_pytest(PASSING)
        self.assertEqual(counts, {"passed": 11}, output)

    def test_failures_read_like_the_mixins(self) -> None:
        output, counts = self.run_pytest(FAILING)
        self.assertEqual(counts, {"failed": 6}, output)  # failed, none errored in teardown
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected a request matching POST /upload; 0 of 2 recorded requests match.
            E       Closest recorded requests:
            E         POST /uplod          path '/uplod' != '/upload'
            E         GET  /other?q=1      method 'GET' != 'POST'; path '/other' != '/upload'
            """), output)
        self.assertIn(textwrap.dedent("""\
            fakeserver: 1 request matched no stub (set allow_unmatched_requests = True on the fake server to allow it):
            No stub matched POST /uplod; 1 stub declared.
            Closest stubs:
              POST /upload         path '/uplod' != '/upload'
            """), output)
        self.assertIn("FAILED test_example.py::test_unmatched - fakeserver: 1 request", output)
        self.assertIn(textwrap.dedent("""\
            No stub matched GET /other?q=1; no stubs are declared.

            No stubs are declared: declare one with .stub(...) on the fake server, or serve app=fakeserver.demo_app to accept any request.
            """), output)  # test_assertion: fake_http serves nothing but stubs
        self.assertIn("fakeserver: the app raised 1 exception during this test:\nTraceback", output)
        self.assertIn('ZeroDivisionError: the app divided by zero', output)
        # A test failing for its own reason also shows the server's side.
        self.assertRegex(output, r"E\s+assert 1 == 2")
        self.assertRegex(output, r"-+ fakeserver: server side -+\n1 request matched no stub")
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected 0 requests; 2 requests recorded.
            E       Recorded requests:
            E         GET /a
            E         ... and 1 more; set max_requests_shown = None on the fake server to see all
            """), output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected every stub to be used; 1 of 1 never were.
            E       Unused stubs:
            E         GET /never          no requests were recorded
            """), output)

    def test_mail_and_upload_assertions_read_like_the_mixins(self) -> None:
        output, counts = self.run_pytest(MAIL_AND_UPLOADS)
        self.assertEqual(counts, {"passed": 3, "failed": 4}, output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected a message to 'ann@example.com' with subject 'Welcome'; 0 of 2 sent messages match.
            E       Closest sent messages:
            E         noreply@example.com -> ann@example.com 'Reminder'      subject 'Reminder' != 'Welcome'
            E         ... and 1 more; set max_messages_shown = None on the fake server to see all
            """), output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected no mail to be sent; 1 message was sent.
            E       Sent messages:
            E         noreply@example.com -> ann@example.com 'Welcome'
            """), output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected an upload of demo 1.0; 0 of 3 uploads match.
            E       Closest uploads:
            E         demo 0.0 bdist_wheel     version '0.0' != '1.0'
            E         ... and 2 more; set max_uploads_shown = None on the fake server to see all
            """), output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected no upload of DEMO (sdist); 1 of 1 upload matches.
            E       Matching uploads:
            E         demo 1.0 sdist           (matches)
            """), output)

    def test_matchers_and_differences_read_like_the_mixins(self) -> None:
        output, counts = self.run_pytest(MATCHERS)
        self.assertEqual(counts, {"passed": 1, "failed": 2}, output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected a request matching /orders with json {'items': [{'sku': 'A1', 'qty': 3}], 'note': 'gift'}; 0 of 1 recorded request match.
            E       Closest recorded requests:
            E         POST /orders         json $.items[0].qty: 99 != 3; json $.note: missing; json $.extra: unexpected
            """), output)
        self.assertIn(textwrap.dedent("""\
            No stub matched POST /orders; 1 stub declared.
            Closest stubs:
              POST /orders         header 'X-Id' does not match /^[0-9]+$/ (got 'abc')
            """), output)
        self.assertIn(textwrap.dedent("""\
            E       AssertionError: Expected a message to match.regex('@corp[.]example$'); 0 of 1 sent message match.
            E       Closest sent messages:
            E         noreply@example.com -> ann@example.com 'Welcome'       to does not match /@corp[.]example$/ (got 'ann@example.com')
            """), output)

    def test_fake_upstream_records_once_and_replays_offline(self) -> None:
        upstream = serve(self, api_app, record=True)
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        cassettes = pathlib.Path(folder, "cassettes")
        output, counts = self.run_pytest(UPSTREAM, folder=folder, UPSTREAM_URL=upstream.url)
        self.assertEqual(counts, {"failed": 3}, output)
        self.assertIn(f"No cassette at {cassettes / 'test_example.test_octocat.json'}: record "
                      f"mode 'none' only replays. Record it from {upstream.url} with "
                      f"--fakeserver-record=once (or FAKESERVER_RECORD=once in the environment).",
                      output)
        output, counts = self.run_pytest(UPSTREAM, "--fakeserver-record=once", folder=folder,
                                         UPSTREAM_URL=upstream.url)
        self.assertEqual(counts, {"passed": 2, "failed": 1}, output)
        self.assertEqual(sorted(path.name for path in cassettes.iterdir()), [
            "TestInClass.test_two_upstreams.2.json", "TestInClass.test_two_upstreams.json",
            "test_example.test_octocat.json"])  # not the failing test's
        text = (cassettes / "test_example.test_octocat.json").read_text()
        self.assertIn('"login": "<USER>"', text)
        self.assertNotIn("octocat", text)
        upstream.stop()
        output, counts = self.run_pytest(UPSTREAM, folder=folder, UPSTREAM_URL=upstream.url)
        self.assertEqual(counts, {"passed": 2, "failed": 1}, output)
        self.assertIn("FAILED test_example.py::test_fails - Failed: No cassette at", output)

    def test_fake_upstream_mode_and_folder_from_the_environment_and_ini(self) -> None:
        upstream = serve(self, api_app)
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        output, counts = self.run_pytest(
            UPSTREAM, "-k", "octocat", folder=folder, ini="[pytest]\nfakeserver_cassette_dir = rec\n",
            UPSTREAM_URL=upstream.url, FAKESERVER_RECORD="once")
        self.assertEqual(counts, {"passed": 1, "deselected": 2}, output)
        self.assertTrue(pathlib.Path(folder, "rec", "test_example.test_octocat.json").exists())

    def test_xdist_workers_get_their_own_servers(self) -> None:
        import_extra("xdist")
        output, counts = self.run_pytest(PASSING.replace(
            "def test_one_server_per_session", "def _not_with_xdist").replace(
            "def test_factory_servers_stopped", "def _not_with_xdist_either"),
            "-p", "xdist", "-n", "2")
        self.assertEqual(counts, {"passed": 9}, output)
        self.assertIn("2 workers", output)


if __name__ == "__main__":
    unittest.main()
