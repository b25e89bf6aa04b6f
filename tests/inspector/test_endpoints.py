"""The inspector's page and JSON views over HTTP, as a browser or a script reads them."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import smtplib
import subprocess
import tempfile
import unittest
import urllib.request
from contextlib import closing
from email.message import EmailMessage
from urllib.parse import urlencode, urljoin

from fakeserver import AppRunner, Recorder, ServerTestCase, StubApp
from fakeserver._inspector.app import InspectorApp
from fakeserver._inspector.mail import MailLog
from fakeserver.pypi import PackageIndex
from fakeserver.smtp import SMTPServer
from tests.support import failing_app, run_case
from tests.support.distributions import build_wheel, distutils_upload, fetch

PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'none'")
SANDBOX_POLICY = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'self'"


def multipart(boundary: str, *parts: tuple[str, str | None, str, bytes]) -> bytes:
    body = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                 f"Content-Type: {content_type}\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


class InspectorCase(unittest.TestCase):
    def setUp(self) -> None:
        self.stubs = StubApp()
        self.runner = AppRunner(self.stubs, inspector=True)
        self.runner.start()
        self.addCleanup(self.runner.stop)
        self.page = self.runner.inspector_url
        self.recorder = self.runner.app.recorder

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> int:
        request = urllib.request.Request(self.runner.url + path, data=body, method=method,
                                         headers=headers or {})
        return fetch(request).status

    def view(self, path: str) -> object:
        reply = fetch(self.page + path)
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(reply.headers["Content-Type"], "application/json")
        return json.loads(reply.body)


class PageTest(InspectorCase):
    def test_the_page_allows_only_its_own_origin(self) -> None:
        reply = fetch(self.page)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.headers["Content-Type"], "text/html; charset=utf-8")
        self.assertEqual(reply.headers["Content-Security-Policy"], PAGE_POLICY)
        self.assertEqual(reply.headers["X-Content-Type-Options"], "nosniff")
        self.assertIn(b'<script src="inspector.js" defer></script>', reply.body)
        self.assertNotIn(b"<script>", reply.body)  # nothing inline: the policy would block it
        self.assertNotIn(b"style=", reply.body)
        for name, media_type in (("inspector.js", "text/javascript; charset=utf-8"),
                                 ("inspector.css", "text/css; charset=utf-8"),
                                 ("favicon.svg", "image/svg+xml")):
            with self.subTest(name=name):
                reply = fetch(self.page + name)
                self.assertEqual((reply.status, reply.headers["Content-Type"]), (200, media_type))
                self.assertNotIn(b"http://", reply.body.replace(b"http://www.w3.org/2000/svg", b""))

    def test_without_the_slash_it_redirects(self) -> None:
        reply = fetch(self.runner.url + "/__fakeserver__")
        self.assertEqual((reply.status, reply.headers["Location"]), (301, "/__fakeserver__/"))

    def test_the_inspector_is_neither_served_by_the_app_nor_recorded(self) -> None:
        for path in ("", "info", "requests", "inspector.js", "nothing"):
            fetch(self.page + path)
        self.assertEqual(self.recorder.requests, [])
        self.assertEqual(self.stubs.unmatched, [])

    def test_info_says_which_tabs_there_are(self) -> None:
        self.assertEqual(self.view("info"),
                         {"requests": True, "mail": False, "index": False, "limit": None})

    def test_unknown_views(self) -> None:
        for path, text in (("nothing", b"No such view: /__fakeserver__/nothing\n"),
                           ("requests/99", b"No '99' in the journal (cleared, or dropped as old)\n"),
                           ("messages", b"This server receives no mail (start it with --smtp).\n"),
                           ("uploads", b"No such view: /__fakeserver__/uploads\n")):
            with self.subTest(path=path):
                self.assertEqual(fetch(self.page + path)[::3], (404, text))
        reply = fetch(urllib.request.Request(self.page + "requests", data=b"", method="POST"))
        self.assertEqual((reply.status, reply.headers["Allow"]), (405, "GET, HEAD, DELETE"))


class HostCheckTest(InspectorCase):
    def test_a_foreign_host_is_refused(self) -> None:
        reply = fetch(self.page + "requests", headers={"Host": f"attacker.example:{self.runner.address[1]}"})
        self.assertEqual(reply.status, 403)
        self.assertEqual(reply.body, b"The inspector answers only requests for localhost or this "
                                     b"server's address, not Host: 'attacker.example:%d' (a DNS "
                                     b"rebinding defence).\n" % self.runner.address[1])

    def test_localhost_is_this_server(self) -> None:
        reply = fetch(self.page + "info", headers={"Host": f"localhost:{self.runner.address[1]}"})
        self.assertEqual(reply.status, 200)

    def test_the_app_itself_answers_any_host(self) -> None:
        self.stubs.stub("GET", "/x").respond(204)
        self.assertEqual(self.send("GET", "/x", headers={"Host": "attacker.example"}), 204)


class RequestsViewTest(InspectorCase):
    def test_the_journal_whole_and_since_an_id(self) -> None:
        self.stubs.stub("POST", "/a").respond(201, text="made")
        self.assertEqual(self.send("POST", "/a?x=1", b"hello"), 201)
        self.assertEqual(self.send("GET", "/b"), 404)
        whole = self.view("requests")
        self.assertEqual([(e["id"], e["method"], e["path"], e["query"], e["status"]) for e in whole],
                         [(1, "POST", "/a", "x=1", 201), (2, "GET", "/b", "", 404)])
        self.assertEqual((whole[0]["body"], whole[0]["response"]["body"]), ("hello", "made"))
        since = self.view("requests?since=1")
        self.assertEqual((since["first"], since["dropped"]), (1, 0))
        [row] = since["exchanges"]
        self.assertEqual({key: row[key] for key in ("id", "method", "host", "path", "status",
                                                   "request_size", "unmatched", "completed")},
                         {"id": 2, "method": "GET", "host": f"127.0.0.1:{self.runner.address[1]}",
                          "path": "/b", "status": 404, "request_size": 0, "unmatched": True,
                          "completed": True})
        self.assertNotIn("body", row)
        self.assertEqual(self.view("requests?since=2")["exchanges"], [])

    def test_search_looks_in_headers_and_bodies(self) -> None:
        self.stubs.stub("POST", "/orders").respond(201, json={"order": "Teapot-77"})
        self.send("POST", "/orders", b'{"item": "kettle"}', {"X-Team": "Kitchen"})
        self.send("GET", "/kettle")
        self.send("GET", "/other")
        # The status line whole: a bare "404" may be in the random port of the Host header.
        for words, ids in ((["kettle"], [1, 2]), (["KETTLE", "kitchen"], [1]), (["teapot-77"], [1]),
                           (["404 Not Found"], [2, 3]), (["nowhere"], [])):
            with self.subTest(words=words):
                query = urlencode([("search", word) for word in words])
                self.assertEqual(self.view(f"requests?{query}"), {"ids": ids})

    def test_delete_clears(self) -> None:
        self.send("GET", "/gone")
        with closing(http.client.HTTPConnection(*self.runner.address, timeout=10)) as connection:
            connection.request("DELETE", "/__fakeserver__/requests")
            self.assertEqual(connection.getresponse().status, 204)
        self.assertEqual(self.view("requests"), [])
        self.assertEqual(self.view("requests?since=0"), {"first": None, "dropped": 0, "exchanges": []})

    def test_details_of_a_json_exchange_and_its_stub(self) -> None:
        self.stubs.stub("PUT", "/items/{id}").respond(200, json={"id": 7, "tags": ["a"]})
        self.send("PUT", "/items/7?page=2&page=3", b'{"name": "thing"}',
                  {"Content-Type": "application/json", "X-Trace": "abc"})
        details = self.view("requests/1")
        self.assertEqual(details["url"], f"{self.runner.url}/items/7?page=2&page=3")
        self.assertIn(["X-Trace", "abc"], details["headers"])
        self.assertEqual(details["query_fields"], {"page": ["2", "3"]})
        self.assertEqual((details["body"]["kind"], details["body"]["text"]),
                         ("json", '{\n  "name": "thing"\n}'))
        self.assertEqual(details["body"]["download"], "requests/1/body")
        response = details["response"]
        self.assertEqual((response["status"], response["body"]["kind"], response["body"]["text"]),
                         (200, "json", '{\n  "id": 7,\n  "tags": [\n    "a"\n  ]\n}'))
        self.assertEqual(details["stub"], {"description": "PUT /items/{id}", "calls": 1,
                                           "times": None, "priority": 0})
        self.assertIsNone(details["near_miss"])
        self.assertIsNone(details["traceback"])

    def test_the_near_miss_report_of_an_unmatched_request(self) -> None:
        self.stubs.stub("POST", "/upload")
        self.send("POST", "/uplod", b"x")
        details = self.view("requests/1")
        self.assertTrue(details["unmatched"])
        self.assertIsNone(details["stub"])
        self.assertTrue(details["near_miss"].startswith("No stub matched POST /uplod; 1 stub declared."))
        self.assertIn("path '/uplod' != '/upload'", details["near_miss"])

    def test_form_fields_and_uploaded_files(self) -> None:
        png = b"\x89PNG\r\n\x1a\n" + bytes(100)
        body = multipart("xyz", ("title", None, "text/plain", b"Holiday"),
                         ("photo", "beach.png", "image/png", png))
        self.send("POST", "/photos", body, {"Content-Type": "multipart/form-data; boundary=xyz"})
        details = self.view("requests/1")
        self.assertEqual(details["form"], {"title": ["Holiday"]})
        self.assertEqual(details["files"], [{"field": "photo", "filename": "beach.png",
                                             "content_type": "image/png", "size": len(png),
                                             "download": "requests/1/files/0"}])
        reply = fetch(self.page + "requests/1/files/0")
        self.assertEqual(reply.body, png)
        self.assertEqual(reply.headers["Content-Type"], "application/octet-stream")
        self.assertEqual(reply.headers["Content-Disposition"], 'attachment; filename="beach.png"')
        self.assertEqual(reply.headers["Content-Security-Policy"], SANDBOX_POLICY)
        self.assertEqual(fetch(self.page + "requests/1/files/1").status, 404)

    def test_bodies_download_as_attachments_and_images_inline(self) -> None:
        html = b"<script>alert(1)</script>"
        self.stubs.stub("GET", "/page").respond(body=html, headers={"Content-Type": "text/html"})
        self.stubs.stub("GET", "/logo").respond(body=b"\x89PNG\r\n", headers={"Content-Type": "image/png"})
        self.send("GET", "/page")
        self.send("GET", "/logo")
        page = fetch(self.page + "requests/1/response/body")
        self.assertEqual(page.body, html)
        self.assertEqual((page.headers["Content-Type"], page.headers["Content-Disposition"]),
                         ("application/octet-stream", 'attachment; filename="response-1.body"'))
        self.assertEqual(page.headers["Content-Security-Policy"], SANDBOX_POLICY)
        logo = fetch(self.page + "requests/2/response/body")
        self.assertEqual((logo.body, logo.headers["Content-Type"]), (b"\x89PNG\r\n", "image/png"))
        self.assertEqual(logo.headers["Content-Security-Policy"], SANDBOX_POLICY)
        self.assertIsNone(logo.headers["Content-Disposition"])

    def test_curl_sends_the_same_request_again(self) -> None:
        self.stubs.stub("POST", "/items").respond(201)
        with closing(http.client.HTTPConnection(*self.runner.address, timeout=10)) as connection:
            connection.request("POST", "/items?x=1&y=it%27s", body=b'{"a": "it\'s"}',
                               headers={"Content-Type": "application/json", "X-Empty": ""})
            connection.getresponse().read()
        curl = self.view("requests/1")["curl"]
        self.assertEqual(curl, f"curl -X POST 'http://127.0.0.1:{self.runner.address[1]}/items?x=1&y=it%27s'"
                               " -H 'Accept-Encoding: identity' -H 'Content-Type: application/json'"
                               " -H 'X-Empty;' --data-binary '{\"a\": \"it'\"'\"'s\"}'")
        if shutil.which("curl") is None:
            return
        subprocess.run(curl, shell=True, check=True, capture_output=True, timeout=30)
        first, again = self.recorder.settle()
        self.assertEqual((again.method, again.target, again.body), (first.method, first.target, first.body))
        self.assertEqual(again.headers["X-Empty"], "")

    def test_one_exchange_or_all_as_a_stub_file(self) -> None:
        self.stubs.stub("GET", "/a").respond(json={"n": 1})
        self.stubs.stub("GET", "/b").respond(202, text="later")
        self.send("GET", "/a", headers={"Authorization": "Bearer secret"})
        self.send("GET", "/b")
        one = fetch(self.page + "requests/2/stubs.json")
        self.assertEqual(one.headers["Content-Disposition"], 'attachment; filename="stubs-exchange-2.json"')
        [entry] = json.loads(one.body)
        self.assertEqual((entry["request"]["path"], entry["response"]["status"]), ("/b", 202))
        everything = fetch(self.page + "stubs.json")
        self.assertEqual(everything.headers["Content-Disposition"], 'attachment; filename="stubs-journal.json"')
        self.assertNotIn(b"secret", everything.body)  # credentials redacted, as save_stubs does
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "stubs.json")
            with open(path, "wb") as file:
                file.write(everything.body)
            self.recorder.save_stubs(os.path.join(folder, "saved.json"))
            with open(os.path.join(folder, "saved.json"), "rb") as file:
                self.assertEqual(file.read(), everything.body)  # the one writer of stub files
            with AppRunner(StubApp.from_file(path)) as replay:
                self.assertEqual(fetch(replay.url + "/a").body, b'{"n": 1}')
                self.assertEqual(fetch(replay.url + "/b")[::3], (202, b"later"))

    def test_the_traceback_of_the_app(self) -> None:
        runner = AppRunner(failing_app, inspector=True)
        with runner:
            self.assertEqual(fetch(runner.url + "/boom").status, 500)
            details = json.loads(fetch(runner.inspector_url + "requests/1").body)
        self.assertEqual(details["error"], "ZeroDivisionError('the app divided by zero')")
        self.assertIsNone(details["response"])
        self.assertTrue(details["traceback"].startswith("Traceback (most recent call last):"))
        self.assertTrue(details["traceback"].endswith("ZeroDivisionError: the app divided by zero\n"))
        self.assertEqual(len(runner.errors), 1)


class InspectorSettingTest(unittest.TestCase):
    def test_without_inspector_there_is_no_url(self) -> None:
        with AppRunner() as runner:
            with self.assertRaisesRegex(RuntimeError, r"create it with AppRunner\(app, inspector=True\)"):
                runner.inspector_url
            self.assertEqual(fetch(runner.url + "/__fakeserver__/").status, 200)  # the app's

    def test_a_recorder_given_is_the_one_inspected(self) -> None:
        recorder = Recorder(failing_app)
        with AppRunner(recorder, inspector=True) as runner:
            self.assertIs(runner.app.recorder, recorder)
            self.assertEqual(runner.inspector_url, runner.url + "/__fakeserver__/")

    def test_server_test_case(self) -> None:
        seen = []

        class Inspected(ServerTestCase, unittest.TestCase):
            inspector = True

            def test(self) -> None:
                self.stub("GET", "/hello").respond(text="hi")
                urllib.request.urlopen(self.url("/hello"), timeout=10).read()
                seen.append(json.loads(fetch(self.server.inspector_url + "requests").body))

        result = run_case(Inspected)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertEqual([e["path"] for e in seen[0]], ["/hello"])


class MailViewTest(unittest.TestCase):
    def setUp(self) -> None:
        self.mail = MailLog(limit=2)
        self.smtp = SMTPServer()
        self.smtp.start()
        self.addCleanup(self.smtp.stop)
        self.web = AppRunner(InspectorApp(mail=self.mail))
        self.web.start()
        self.addCleanup(self.web.stop)
        self.page = self.web.url + "/__fakeserver__/"

    def deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(*self.smtp.address, timeout=10) as client:
            client.send_message(message)
        self.mail.add(self.smtp.messages[-1])

    def letter(self, subject: str) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "ann@example.com", "bob@example.com", subject
        message.set_content("Hello Bob,\nsee attached.\n")
        message.add_alternative("<p>Hello <b>Bob</b><script>alert(1)</script></p>", subtype="html")
        message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                               filename="report.pdf")
        return message

    def test_list_details_parts_and_raw(self) -> None:
        self.deliver(self.letter("Report"))
        listing = json.loads(fetch(self.page + "messages").body)
        [row] = listing["messages"]
        self.assertEqual({key: row[key] for key in ("id", "from", "to", "subject")},
                         {"id": 1, "from": "ann@example.com", "to": "bob@example.com", "subject": "Report"})
        details = json.loads(fetch(self.page + "messages/1").body)
        self.assertEqual(details["envelope"]["rcpt_tos"], ["bob@example.com"])
        self.assertEqual(details["text"], "Hello Bob,\nsee attached.\n")
        self.assertEqual(details["html"], "messages/1/html")
        [attachment] = details["attachments"]
        self.assertEqual((attachment["filename"], attachment["content_type"]),
                         ("report.pdf", "application/pdf"))
        html = fetch(self.page + "messages/1/html")
        self.assertIn(b"<script>alert(1)</script>", html.body)
        self.assertEqual(html.headers["Content-Security-Policy"],
                         "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'")
        pdf = fetch(self.page + attachment["download"])
        self.assertEqual((pdf.body, pdf.headers["Content-Disposition"]),
                         (b"%PDF-1.4 fake", 'attachment; filename="report.pdf"'))
        raw = fetch(self.page + "messages/1/raw")
        self.assertIn(b"Subject: Report", raw.body)
        self.assertEqual(raw.headers["Content-Security-Policy"], SANDBOX_POLICY)

    def test_the_limit_drops_the_oldest_and_delete_clears(self) -> None:
        for number in range(3):
            self.deliver(self.letter(f"number {number}"))
        listing = json.loads(fetch(self.page + "messages").body)
        self.assertEqual((listing["first"], listing["dropped"]), (2, 1))
        self.assertEqual([m["subject"] for m in listing["messages"]], ["number 1", "number 2"])
        self.assertEqual([m["id"] for m in json.loads(fetch(self.page + "messages?since=2").body)["messages"]], [3])
        self.assertEqual(fetch(urllib.request.Request(self.page + "messages", method="DELETE")).status, 204)
        self.assertEqual(json.loads(fetch(self.page + "messages").body)["messages"], [])

    def test_other_paths_are_not_served(self) -> None:
        self.assertEqual(fetch(self.web.url + "/anything")[::3],
                         (404, b"This server serves only the inspector, at /__fakeserver__/\n"))
        self.assertEqual(json.loads(fetch(self.page + "info").body),
                         {"requests": False, "mail": True, "index": False, "limit": 2})


class UploadsViewTest(unittest.TestCase):
    def test_projects_releases_and_files(self) -> None:
        with AppRunner(PackageIndex(), inspector=True) as runner:
            filename, wheel = build_wheel("demo", "1.0")
            self.assertEqual(distutils_upload(runner.url + "/legacy/", filename, wheel).status, 200)
            info = json.loads(fetch(runner.inspector_url + "info").body)
            uploads = json.loads(fetch(runner.inspector_url + "uploads").body)
            [project] = uploads["projects"]
            [release] = project["releases"]
            [file] = release["files"]
            self.assertTrue(info["index"])
            self.assertEqual((project["name"], release["version"], file["filename"]),
                             ("demo", "1.0", "demo-1.0-py3-none-any.whl"))
            self.assertEqual(file["metadata"]["author"], ["Ann"])
            self.assertEqual(file["download"], "../packages/demo-1.0-py3-none-any.whl")
            # Relative to the page, as a browser resolves it.
            self.assertEqual(fetch(urljoin(runner.inspector_url, file["download"])).body, wheel)


if __name__ == "__main__":
    unittest.main()
