"""What a live view needs of the journal: stable ids, a bound on its size, change notices,
and bodies read in pieces."""

from __future__ import annotations

import http.client
import threading
import unittest
import urllib.request
from contextlib import closing

from fakeserver import AppRunner, Recorder
from tests.support import echo_app, open_fd_count


class LiveJournalCase(unittest.TestCase):
    limit: int | None = None

    def setUp(self) -> None:
        self.recorder = Recorder(echo_app, limit=self.limit)
        self.runner = AppRunner(self.recorder)
        self.runner.start()
        self.addCleanup(self.recorder.clear)
        self.addCleanup(self.runner.stop)

    def send(self, path: str, body: bytes = b"") -> None:
        request = urllib.request.Request(self.runner.url + path, data=body or None)
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


class IdsTest(LiveJournalCase):
    def test_ids_count_from_one_and_are_never_reused_after_clear(self) -> None:
        self.send("/a")
        self.send("/b")
        self.assertEqual([(r.id, r.path) for r in self.recorder.settle()], [(1, "/a"), (2, "/b")])
        self.recorder.clear()
        self.send("/c")
        self.assertEqual([(r.id, r.path) for r in self.recorder.settle()], [(3, "/c")])

    def test_the_duration_is_known_once_the_exchange_is_over(self) -> None:
        self.send("/timed")
        [request] = self.recorder.settle()
        self.assertIsNotNone(request.duration)
        self.assertGreaterEqual(request.duration, 0.0)
        self.assertLess(request.duration, 10.0)


class LimitTest(LiveJournalCase):
    limit = 3

    def test_the_oldest_are_dropped_and_counted(self) -> None:
        for number in range(5):
            self.send(f"/{number}")
        self.assertEqual([r.path for r in self.recorder.settle()], ["/2", "/3", "/4"])
        self.assertEqual(self.recorder.dropped, 2)

    def test_dropped_bodies_release_their_temporary_files(self) -> None:
        self.recorder.spool_threshold = 100
        fds = open_fd_count()
        if fds is None:
            self.skipTest("the OS does not tell how many files are open")
        for number in range(6):  # each spools two bodies: the request's and the echo's
            self.send(f"/{number}", b"x" * 1000)
        self.recorder.settle()
        self.assertLessEqual(open_fd_count() - fds, 2 * self.limit)

    def test_a_limit_below_one_is_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "limit must be at least 1"):
            Recorder(echo_app, limit=0)


class ListenerTest(LiveJournalCase):
    def test_listeners_hear_of_each_exchange_and_of_clear(self) -> None:
        heard = []
        self.recorder.add_listener(lambda: heard.append(len(self.recorder.requests)))
        self.send("/one")
        self.recorder.clear()
        self.assertEqual(heard, [1, 0])


class BodyChunksTest(LiveJournalCase):
    def check_chunks(self, threshold: int) -> None:
        self.recorder.spool_threshold = threshold
        body = bytes(range(256)) * 40
        self.send("/body", body)
        [request] = self.recorder.settle()
        pieces = list(request.body_chunks(1000))
        self.assertEqual(b"".join(pieces), body)
        self.assertEqual([len(piece) for piece in pieces], [1000] * 10 + [240])
        self.assertEqual(next(request.body_chunks(5)), body[:5])
        self.assertEqual(request.body, body)  # reading in pieces left the file as it was

    def test_in_memory(self) -> None:
        self.check_chunks(1 << 20)

    def test_spooled(self) -> None:
        self.check_chunks(100)

    def test_reading_while_the_body_arrives_never_corrupts_it(self) -> None:
        self.recorder.spool_threshold = 100
        stop = threading.Event()

        def read_meanwhile() -> None:
            while not stop.is_set():
                for request in self.recorder.requests:
                    for _ in request.body_chunks(7):
                        pass
        reader = threading.Thread(target=read_meanwhile)
        reader.start()
        self.addCleanup(reader.join)
        self.addCleanup(stop.set)
        body = bytes(range(256)) * 4000
        with closing(http.client.HTTPConnection(*self.runner.address, timeout=10)) as connection:
            connection.putrequest("POST", "/slow")
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            for start in range(0, len(body), 4096):
                connection.send(body[start:start + 4096])
            self.assertEqual(connection.getresponse().read(), body)
        [request] = self.recorder.settle()
        self.assertEqual(request.body, body)


if __name__ == "__main__":
    unittest.main()
