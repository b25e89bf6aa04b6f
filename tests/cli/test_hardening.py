"""The command line against a hostile network: escaped output, who may read the journal,
and memory that stays bounded however much is sent."""

from __future__ import annotations

import http.client
import json
import os
import smtplib
import socket
import tempfile
import unittest
import unicodedata
import urllib.request
from contextlib import closing

from tests.support.cli import CLI, TIMEOUT, get
from tests.support.distributions import fetch

#: What a terminal acts on that HTTP lets through in field values and bodies: a CSI in its
#: 8-bit form (C1), and a bidirectional override (ESC and BEL come percent-encoded in paths).
SNEAKY = "\x9b31m\u202e"


def unsafe(text: str) -> list[str]:
    """The control and bidirectional formatting characters in *text* (tabs aside)."""
    return [c for c in text if c != "\t" and (unicodedata.category(c) == "Cc"
                                              or unicodedata.bidirectional(c) in ("RLO", "LRO", "RLE",
                                                                                 "LRE", "PDF", "RLI",
                                                                                 "LRI", "FSI", "PDI"))]


class EscapedOutputTest(unittest.TestCase):
    def test_bytes_from_the_network_print_escaped(self) -> None:
        cli = CLI(self, "--port", "0")
        _, _, port = cli.serving()
        cli.lines_until("journal at")  # the notes
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)) as connection:
            connection.putrequest("POST", "/%1b[2J%07?q=%1b")
            # C0 controls in a field value are refused (400), so a header can carry C1
            # ones only: bytes 0x80-0x9f, which the server reads as latin-1.
            connection.putheader("X-Evil", SNEAKY.encode("utf-8").decode("latin-1"))
            body = f"text {SNEAKY} end".encode()  # no C0 controls: printed as text
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            self.assertEqual(connection.getresponse().read(), b"OK\n")
        block = cli.lines_until(" end")
        self.assertEqual(unsafe("".join(block)), [])
        self.assertRegex(block[0], r"\] POST /\\x1b\[2J\\x07\?q=%1b -> 200 OK$")
        self.assertIn("    text \\x9b31m\\u202e end", block)
        self.assertIn("  X-Evil: \u00c2\\x9b31m\u00e2\\x80\u00ae", block)

    def test_log_lines_print_escaped(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        with open(os.path.join(directory.name, "failing.py"), "w", encoding="utf-8") as file:
            file.write("def app(environ, start_response):\n"
                       "    raise ValueError(environ['PATH_INFO'])\n")
        cli = CLI(self, "--port", "0", "--app", "failing:app", cwd=directory.name)
        _, _, port = cli.serving()
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"GET /\x1b]0;owned\x07 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertTrue(sock.recv(100).startswith(b"HTTP/1.1 500 "))
        cli.lines_until("the app raised")
        self.assertEqual(cli.stop(), 0)
        self.assertIn("application error on GET /\\x1b]0;owned\\x07", cli.stderr)
        self.assertEqual(unsafe(cli.stderr), ["\n"] * cli.stderr.count("\n"))


class ExposureTest(unittest.TestCase):
    def test_binding_every_interface_warns_what_becomes_readable(self) -> None:
        cli = CLI(self, "--host", "0.0.0.0", "--port", "0")
        _, _, port = cli.serving()
        self.assertEqual(cli.stop(), 0)
        self.assertEqual(cli.stderr.splitlines()[0],
                         f"fakeserver: WARNING: --host 0.0.0.0 is not loopback: anyone who can "
                         f"reach this machine can read every request with its headers "
                         f"(Authorization included), bodies and uploads at "
                         f"http://0.0.0.0:{port}/__fakeserver__/, and clear it "
                         f"(bind 127.0.0.1 to keep it to yourself)")

    def test_loopback_warns_nothing(self) -> None:
        cli = CLI(self, "--host", "localhost", "--port", "0")
        cli.serving()
        self.assertEqual(cli.stop(), 0)
        self.assertEqual(cli.stderr, "")

    def test_the_journal_refuses_a_rebound_name(self) -> None:
        cli = CLI(self, "--port", "0")
        _, _, port = cli.serving()
        url = f"http://127.0.0.1:{port}/__fakeserver__/requests"
        self.assertEqual(fetch(url, headers={"Host": f"attacker.example:{port}"}).status, 403)
        self.assertEqual(fetch(url, headers={"Host": f"localhost:{port}"}).status, 200)
        self.assertEqual(get(f"http://127.0.0.1:{port}/anything"), (200, b"OK\n"))  # the app: any Host


def peak_rss(pid: int) -> int:
    """The highest resident set size of process *pid* so far, in bytes (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


class BoundedMemoryTest(unittest.TestCase):
    def test_the_journal_keeps_the_last_n_and_counts_the_rest(self) -> None:
        cli = CLI(self, "--port", "0", "--journal-limit", "2")
        _, _, port = cli.serving()
        for number in range(5):
            get(f"http://127.0.0.1:{port}/{number}")
        page = f"http://127.0.0.1:{port}/__fakeserver__/"
        self.assertEqual([e["path"] for e in json.loads(get(page + "requests")[1])], ["/3", "/4"])
        rows = json.loads(get(page + "requests?since=0")[1])
        self.assertEqual((rows["first"], rows["dropped"]), (4, 3))
        self.assertEqual(json.loads(get(page + "info")[1])["limit"], 2)
        self.assertEqual(cli.stop(), 0)
        self.assertEqual(cli.rest()[-1], "fakeserver: stopped after 5 exchanges")

    def test_a_journal_limit_below_one_is_a_usage_error(self) -> None:
        cli = CLI(self, "--journal-limit", "0")
        self.assertEqual(cli.wait(), 2)
        self.assertIn("the journal must keep at least 1 exchange, not 0", cli.stderr)

    def upload(self, port: int, size: int) -> None:
        piece = bytes(range(256)) * 256
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=60)) as connection:
            connection.putrequest("PUT", "/big")
            connection.putheader("Content-Length", str(size))
            connection.endheaders()
            for _ in range(size // len(piece)):
                connection.send(piece)
            self.assertEqual(connection.getresponse().read(), b"OK\n")

    def test_a_100_mib_upload_is_spooled_not_held(self) -> None:
        if not os.path.exists("/proc/self/status"):
            self.skipTest("reads the peak RSS from /proc")
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        journal = os.path.join(directory.name, "journal.jsonl")
        cli = CLI(self, "--port", "0", "--journal", journal)
        _, _, port = cli.serving()
        self.upload(port, 1 << 20)  # warm up: imports, threads, buffers
        before = peak_rss(cli.process.pid)
        self.upload(port, 100 << 20)
        cli.lines_until("<104857600 bytes of binary data>")
        growth = peak_rss(cli.process.pid) - before
        self.assertLess(growth, 32 << 20, f"peak RSS grew by {growth / (1 << 20):.1f} MiB")
        self.assertEqual(cli.stop(), 0)
        with open(journal, encoding="utf-8") as file:
            self.assertEqual([json.loads(line)["path"] for line in file], ["/big", "/big"])


class MailPageTest(unittest.TestCase):
    def test_smtp_has_a_page_of_its_own(self) -> None:
        cli = CLI(self, "--smtp", "--port", "0")
        _, host, port = cli.serving()
        page = cli.line().split("live page at ")[1]
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as client:
            client.sendmail("ann@example.com", ["bob@example.com"], b"Subject: hi\r\n\r\nhello\r\n")
        cli.lines_until("hello")
        [row] = json.loads(get(page + "messages")[1])["messages"]
        self.assertEqual((row["id"], row["subject"]), (1, "hi"))
        self.assertEqual(json.loads(get(page + "info")[1]),
                         {"requests": False, "mail": True, "index": False, "limit": 1000})
        with urllib.request.urlopen(page, timeout=TIMEOUT) as response:
            self.assertIn(b"fakeserver inspector", response.read())

    def test_inspector_port_needs_smtp(self) -> None:
        cli = CLI(self, "--inspector-port", "0")
        self.assertEqual(cli.wait(), 2)
        self.assertIn("--inspector-port needs --smtp", cli.stderr)


if __name__ == "__main__":
    unittest.main()
