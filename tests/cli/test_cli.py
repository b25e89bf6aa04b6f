"""``python -m fakeserver`` driven as users drive it: a subprocess, real clients, signals."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import fakeserver
from tests.support.cli import CLI, ROOT, TIMEOUT, get


class InspectorTest(unittest.TestCase):
    def test_prints_each_request_and_stops_on_sigterm(self) -> None:
        cli = CLI(self, "--port", "0")
        scheme, host, port = cli.serving()
        self.assertEqual((scheme, host), ("http", "127.0.0.1"))
        self.assertEqual(cli.line(), f"fakeserver: live page at http://127.0.0.1:{port}/__fakeserver__/")
        self.assertIn("/__fakeserver__/requests", cli.line())
        url = f"http://127.0.0.1:{port}"
        request = urllib.request.Request(url + "/upload?q=1&q=2", data=b"hello\nworld",
                                         headers={"X-Test": "yes", "Content-Type": "text/plain"})
        self.assertEqual(get(request), (200, b"OK\n"))
        block = cli.lines_until("world")
        self.assertRegex(block[0], r"^\[\d\d:\d\d:\d\d\] POST /upload\?q=1&q=2 -> 200 OK$")
        self.assertIn("  query  q = '1', '2'", block)
        self.assertIn("  X-Test: yes", block)
        self.assertEqual(block[-3:], ["  body (11 bytes):", "    hello", "    world"])
        self.assertEqual(get(urllib.request.Request(url + "/blob", data=bytes(range(256)) * 4,
                                                    method="PUT"))[0], 200)
        self.assertEqual(cli.lines_until("binary")[-1], "    <1024 bytes of binary data>")
        self.assertEqual(cli.stop(signal.SIGTERM), 0)
        self.assertEqual(cli.rest(), ["fakeserver: stopped after 2 exchanges"])
        self.assertEqual(cli.stderr, "")

    def test_ctrl_c_exits_cleanly(self) -> None:
        cli = CLI(self, "--port", "0")
        cli.serving()
        self.assertEqual(cli.stop(signal.SIGINT), 0)
        self.assertEqual(cli.rest()[-1], "fakeserver: stopped after 0 exchanges")
        self.assertEqual(cli.stderr, "")

    def test_journal_file_and_endpoint(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = os.path.join(directory.name, "journal.jsonl")
        cli = CLI(self, "--port", "0", "--journal", path)
        _, _, port = cli.serving()
        url = f"http://127.0.0.1:{port}"
        get(url + "/text?a=b", data=b'{"x": 1}')
        get(urllib.request.Request(url + "/binary", data=b"\x00\xff" * 8, method="PUT"))
        endpoint = url + "/__fakeserver__/requests"
        for _ in range(2):  # reading the journal is not journaled
            status, body = get(endpoint)
            self.assertEqual(status, 200)
            exchanges = json.loads(body)
            self.assertEqual([(e["method"], e["path"]) for e in exchanges],
                             [("POST", "/text"), ("PUT", "/binary")])
        text, binary = exchanges
        self.assertEqual((text["query"], text["body"]), ("a=b", '{"x": 1}'))
        self.assertEqual(base64.b64decode(binary["body_base64"]), b"\x00\xff" * 8)
        self.assertEqual(text["response"]["status"], 200)
        self.assertEqual(text["response"]["body"], "OK\n")
        self.assertIn(["Host", f"127.0.0.1:{port}"], text["headers"])

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.addCleanup(connection.close)
        connection.request("DELETE", "/__fakeserver__/requests")
        response = connection.getresponse()
        response.read()
        self.assertEqual(response.status, 204)
        self.assertEqual(json.loads(get(endpoint)[1]), [])

        self.assertEqual(cli.stop(), 0)
        with open(path, encoding="utf-8") as file:
            written = [json.loads(line) for line in file]
        self.assertEqual(written, exchanges)  # what was served, not what was cleared
        self.assertEqual(cli.rest()[-1], "fakeserver: stopped after 2 exchanges")


class ModesTest(unittest.TestCase):
    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = directory.name

    def test_app(self) -> None:
        with open(os.path.join(self.directory, "myapp.py"), "w", encoding="utf-8") as file:
            file.write("def application(environ, start_response):\n"
                       "    start_response('201 Created', [('Content-Type', 'text/plain')])\n"
                       "    return [b'made by myapp']\n")
        cli = CLI(self, "--port", "0", "--app", "myapp:application", cwd=self.directory)
        _, _, port = cli.serving()
        self.assertEqual(get(f"http://127.0.0.1:{port}/x"), (201, b"made by myapp"))
        self.assertTrue(cli.lines_until("GET /x")[-1].endswith("] GET /x -> 201 Created"))

    def test_stubs(self) -> None:
        path = os.path.join(self.directory, "stubs.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump([{"request": {"method": "POST", "path": "/upload"},
                        "response": {"status": 201, "json": {"ok": True}}}], file)
        cli = CLI(self, "--port", "0", "--stubs", path)
        _, _, port = cli.serving()
        self.assertEqual(get(f"http://127.0.0.1:{port}/upload", data=b"x"), (201, b'{"ok": true}'))
        status, body = get(f"http://127.0.0.1:{port}/uplod", data=b"x")
        self.assertEqual(status, 404)
        self.assertIn(b"No stub matched POST /uplod; 1 stub declared.", body)
        block = cli.lines_until("path '/uplod' != '/upload'")
        self.assertIn("  | No stub matched POST /uplod; 1 stub declared.", block)

    def test_wiremock_mappings(self) -> None:
        root = os.path.join(ROOT, "tests", "stubs", "wiremock", "root")  # mappings/ and __files/
        cli = CLI(self, "--port", "0", "--stubs", root)
        _, _, port = cli.serving()
        self.assertEqual(get(f"http://127.0.0.1:{port}/some/thing"), (200, b"Hello, world!"))
        self.assertEqual(get(f"http://127.0.0.1:{port}/api/specific-resource"),
                         (200, b"Resource state"))

    def test_scenarios_are_read_moved_and_reset_over_http(self) -> None:
        path = os.path.join(self.directory, "stubs.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump([{"request": {"method": "POST", "path": "/cart"}, "response": {"status": 201},
                        "scenario": "cart", "state": "Started", "new_state": "has-item"}], file)
        cli = CLI(self, "--port", "0", "--stubs", path)
        _, _, port = cli.serving()
        url = f"http://127.0.0.1:{port}"
        endpoint = url + "/__fakeserver__/scenarios"

        def send(method: str, target: str, body: bytes | None = None) -> tuple[int, bytes]:
            return get(urllib.request.Request(target, data=body, method=method))

        self.assertEqual(json.loads(get(endpoint)[1]), {"cart": "Started"})
        self.assertEqual(get(url + "/cart", data=b"apple")[0], 201)
        self.assertEqual(json.loads(get(endpoint)[1]), {"cart": "has-item"})
        self.assertEqual(send("PUT", endpoint + "/cart", b"checked-out\n"), (204, b""))
        self.assertEqual(send("PUT", endpoint + "/caf%C3%A9", b"open"), (204, b""))
        self.assertEqual(json.loads(get(endpoint)[1]),
                         {"cart": "checked-out", "caf\u00e9": "open"})
        self.assertEqual(get(url + "/cart", data=b"pear")[0], 404)  # not in "Started"
        self.assertEqual(send("DELETE", endpoint), (204, b""))
        self.assertEqual(json.loads(get(endpoint)[1]), {"cart": "Started"})
        self.assertEqual(send("PUT", endpoint + "/cart", b""),
                         (400, b"send the new state of 'cart' as the body, e.g. curl -X PUT -d "
                               b"has-item .../__fakeserver__/scenarios/cart\n"))
        self.assertEqual(send("POST", endpoint)[0], 405)
        self.assertEqual([e["path"] for e in json.loads(get(url + "/__fakeserver__/requests")[1])],
                         ["/cart", "/cart"])  # the endpoint is not journaled

    def test_scenarios_need_stubs(self) -> None:
        cli = CLI(self, "--port", "0")
        _, _, port = cli.serving()
        self.assertEqual(get(f"http://127.0.0.1:{port}/__fakeserver__/scenarios"),
                         (404, b"scenarios belong to stubs: serve some with --stubs FILE.json\n"))

    def test_tls(self) -> None:
        cli = CLI(self, "--port", "0", "--tls")
        scheme, _, port = cli.serving()
        self.assertEqual(scheme, "https")
        self.assertIn(f"clients must trust the test CA {fakeserver.CA_FILE}",
                      cli.lines_until("test CA")[-1])
        self.assertEqual(get(f"https://127.0.0.1:{port}/",
                             context=fakeserver.client_ssl_context()), (200, b"OK\n"))

    def test_pypi(self) -> None:
        cli = CLI(self, "--port", "0", "--pypi", "--root", self.directory)
        _, _, port = cli.serving()
        self.assertEqual(cli.line(), f"fakeserver: package index http://127.0.0.1:{port}/simple/ "
                                     "(pip install --index-url ...)")
        self.assertIn(f"http://127.0.0.1:{port}/legacy/", cli.line())
        status, _ = get(f"http://127.0.0.1:{port}/simple/")
        self.assertEqual(status, 200)

    def test_smtp(self) -> None:
        path = os.path.join(self.directory, "mail.jsonl")
        cli = CLI(self, "--smtp", "--port", "0", "--journal", path)
        scheme, host, port = cli.serving()
        self.assertEqual(scheme, "smtp")
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as client:
            client.sendmail("ann@example.com", ["bob@example.com"],
                            b"Subject: hi\r\nContent-Type: text/plain\r\n\r\nhello bob\r\n")
        block = cli.lines_until("hello bob")
        self.assertRegex(block[-5], r"\] MAIL FROM <ann@example.com> TO <bob@example.com>$")
        self.assertEqual(block[-4:], ["  Subject: hi", "  Content-Type: text/plain",
                                      "  text/plain:", "    hello bob"])
        self.assertEqual(cli.stop(), 0)
        with open(path, encoding="utf-8") as file:
            [message] = [json.loads(line) for line in file]
        self.assertEqual((message["mail_from"], message["rcpt_tos"]),
                         ("ann@example.com", ["bob@example.com"]))
        self.assertIn("hello bob", message["body"])

    def test_smtp_on_ipv6_names_the_host_in_brackets(self) -> None:
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback")
        cli = CLI(self, "--smtp", "--host", "::1", "--port", "0")
        match = re.fullmatch(r"fakeserver: serving smtp://\[::1\]:(\d+) \(Ctrl-C to stop\)",
                             cli.line())
        self.assertIsNotNone(match)
        with smtplib.SMTP("::1", int(match[1]), timeout=TIMEOUT) as client:
            self.assertEqual(client.noop()[0], 250)
        self.assertEqual(cli.stop(), 0)


class ClosedStdoutTest(unittest.TestCase):
    """A script reads the first line, then closes the pipe (as ``| head -1`` does)."""

    def start(self, *args: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": ROOT, "PYTHONDONTWRITEBYTECODE": "1"}
        process = subprocess.Popen(
            [sys.executable, "-W", "error", "-m", "fakeserver", "--port", "0", *args], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(process.stderr.close)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process

    def test_serving_goes_on_and_the_exit_is_clean(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        journal = os.path.join(directory.name, "journal.jsonl")
        process = self.start("--journal", journal)
        first = process.stdout.readline()
        process.stdout.close()
        url = re.search(r"(http://\S+/) ", first)[1]
        for number in range(3):
            self.assertEqual(get(f"{url}after-close/{number}"), (200, b"OK\n"))
        process.terminate()
        self.assertEqual(process.wait(TIMEOUT), 0)
        self.assertEqual(process.stderr.read(), "")
        with open(journal, encoding="utf-8") as file:
            self.assertEqual([json.loads(line)["path"] for line in file],
                             [f"/after-close/{number}" for number in range(3)])

    def test_smtp_too(self) -> None:
        process = self.start("--smtp")
        host, port = re.search(r"smtp://(\S+):(\d+) ", process.stdout.readline()).groups()
        process.stdout.close()
        for _ in range(2):
            with smtplib.SMTP(host, int(port), timeout=TIMEOUT) as client:
                self.assertEqual(client.sendmail("ann@example.com", ["bob@example.com"],
                                                 b"Subject: hi\r\n\r\nhello\r\n"), {})
        process.terminate()
        self.assertEqual(process.wait(TIMEOUT), 0)
        self.assertEqual(process.stderr.read(), "")


class ErrorsTest(unittest.TestCase):
    def assertUsageError(self, *args: str, says: str) -> None:
        cli = CLI(self, *args)
        self.assertEqual(cli.wait(), 2)
        self.assertTrue(cli.stderr.startswith("usage: python -m fakeserver"), cli.stderr)
        self.assertIn(says, cli.stderr)
        self.assertNotIn("Traceback", cli.stderr)

    def test_bad_arguments_print_usage_and_exit_2(self) -> None:
        self.assertUsageError("--port", "eighty", says="invalid port number: 'eighty'")
        self.assertUsageError("--root", "x", says="--root needs --pypi")
        self.assertUsageError("--smtp", "--pypi", says="not allowed with argument")
        self.assertUsageError("--app", "no_such_module_here:app", says="No module named")
        self.assertUsageError("--stubs", "/no/such/stubs.json", says="No such file")
        unsupported = os.path.join(ROOT, "tests", "stubs", "wiremock", "unsupported",
                                   "transformers.json")
        self.assertUsageError("--stubs", unsupported,
                              says=f"ValueError: {unsupported}: mapping: response.transformers is "
                                   f"not supported")

    def test_a_port_out_of_range_is_a_usage_error(self) -> None:
        for port in ("70000", "65536", "-1"):  # not bound modulo 65536
            self.assertUsageError("--port", port, says=f"port {port} is out of range 0-65535")
            self.assertUsageError("--smtp", "--port", port, says="out of range")

    def test_port_in_use_is_one_line(self) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            cli = CLI(self, "--port", str(port))
            self.assertEqual(cli.wait(), 1)
        self.assertEqual(cli.stderr.splitlines(),
                         [f"fakeserver: cannot listen on 127.0.0.1:{port}: Address already in use"])
        self.assertEqual(cli.rest(), [])


if __name__ == "__main__":
    unittest.main()
