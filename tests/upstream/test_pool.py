"""Kept-alive connections to upstreams: reused, replaced when stale, shared by threads, closed."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import unittest
import unittest.mock
import weakref
from typing import Callable

from fakeserver import AppRunner, ProxyApp, Recorder
from fakeserver._http.wire import write_request_head
from fakeserver._upstream.forwarding import default_ssl_context
from fakeserver._upstream import pool as pool_module
from fakeserver._upstream.pool import LOOK_AFTER, ConnectionPool, Origin
from tests.support import assert_nothing_left, nothing_left_unclosed
from tests.support.upstreams import (
    TIMEOUT, ScriptedUpstream, SpoilingUpstream, describe_app, fetch, serve,
)

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class KeepAliveTest(unittest.TestCase):
    def setUp(self) -> None:
        self.upstream = serve(self, describe_app, record=True)
        self.proxy = ProxyApp(self.upstream.url)
        self.addCleanup(self.proxy.close)
        self.fake = serve(self, Recorder(self.proxy))

    def fetched(self, *args: object) -> tuple:
        """``fetch`` through the fake, returning once the fake has finished the exchange
        (its connection back in the pool)."""
        result = fetch(self.fake.url, *args)  # type: ignore[arg-type]
        self.fake.app.settle()  # type: ignore[attr-defined]
        return result

    def upstream_ports(self) -> set[int]:
        """The client ports of the connections the upstream was sent requests on."""
        return {request.client_address[1]
                for request in self.upstream.app.settle()}  # type: ignore[attr-defined]

    def test_requests_share_one_upstream_connection(self) -> None:
        for number in range(5):  # each on a new client connection
            status, _, body = fetch(self.fake.url + f"/{number}")
            self.fake.app.settle()  # type: ignore[attr-defined]
            self.assertEqual(json.loads(body)["target"], f"/{number}")
        self.assertEqual(len(self.upstream_ports()), 1)

    def test_threads_each_get_a_connection_and_their_own_answer(self) -> None:
        failures: list[str] = []

        def client(number: int) -> None:
            connection = http.client.HTTPConnection(*self.fake.address, timeout=TIMEOUT)
            try:
                for call in range(5):
                    target = f"/t{number}/{call}"
                    connection.request("POST", target, body=target.encode())
                    seen = json.loads(connection.getresponse().read())
                    if (seen["target"], seen["body"]) != (target, target):
                        failures.append(f"{target} got {seen}")
            finally:
                connection.close()
        threads = [threading.Thread(target=client, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        self.assertEqual(failures, [])
        self.assertEqual(len(self.upstream.app.settle()), 40)  # type: ignore[attr-defined]
        self.assertLessEqual(len(self.upstream_ports()), 8)

    def idle(self, proxy: ProxyApp) -> list[http.client.HTTPConnection]:
        pool = proxy.forwarder.pool
        return [connection for pooled in pool._idle.values() for connection, _ in pooled]

    def test_close_closes_the_idle_connections(self) -> None:
        self.fetched()
        [idle] = self.idle(self.proxy)
        self.proxy.close()
        self.assertIsNone(idle.sock)
        self.assertEqual(self.fetched()[0], 200)  # still works, without keeping any
        self.assertEqual(self.idle(self.proxy), [])

    def test_a_dropped_proxy_closes_its_connections(self) -> None:
        proxy = ProxyApp(self.upstream.url)
        with AppRunner(Recorder(proxy)) as fake:
            fetch(fake.url)
            fake.app.settle()  # type: ignore[attr-defined]
        [idle] = self.idle(proxy)
        reference = weakref.ref(proxy)
        with nothing_left_unclosed(self):
            del proxy, fake
        self.assertIsNone(reference())
        self.assertIsNone(idle.sock)  # closed by the pool's finalizer, not left to the socket's



class LookBeforeReuseTest(unittest.TestCase):
    """An idle connection is looked at before reuse, but for a request that can be sent again
    on a connection given back just now."""

    def setUp(self) -> None:
        upstream = ScriptedUpstream(self, [OK])  # then closes, though it did not say so
        self.origin = Origin("http", "127.0.0.1", int(upstream.url.rpartition(":")[2]))
        self.pool = ConnectionPool(timeout=TIMEOUT, ssl_context=default_ssl_context())
        self.addCleanup(self.pool.close)
        connection, _ = self.pool.connection(self.origin)
        connection.send(write_request_head("GET", "/", [("Host", "upstream")]))
        self.assertEqual(connection.read_response("GET").read1(10), b"ok")
        self.pool.release(self.origin, connection)
        self.assertTrue(upstream.closed.wait(TIMEOUT))
        self.stale = connection

    def given_back(self, seconds_ago: float) -> None:
        """Date the stale connection's return *seconds_ago*."""
        self.pool._idle[self.origin] = [(self.stale, time.monotonic() - seconds_ago)]

    def assertDropped(self, *, resendable: bool, seconds_ago: float) -> None:
        self.given_back(seconds_ago)
        connection, reused = self.pool.connection(self.origin, resendable=resendable)
        self.addCleanup(connection.close)
        self.assertEqual((connection is self.stale, reused, self.stale.sock), (False, False, None))

    def test_one_for_a_request_with_a_body_is_looked_at(self) -> None:
        self.assertDropped(resendable=False, seconds_ago=0.0)

    def test_one_given_back_a_while_ago_is_looked_at(self) -> None:
        self.assertDropped(resendable=True, seconds_ago=2 * LOOK_AFTER)

    def test_a_resendable_request_takes_one_given_back_just_now_unlooked(self) -> None:
        self.given_back(0.0)
        with unittest.mock.patch.object(pool_module, "LOOK_AFTER", 3600.0):  # "just now", however slow
            connection, reused = self.pool.connection(self.origin, resendable=True)
        self.addCleanup(connection.close)
        self.assertEqual((connection is self.stale, reused), (True, True))


class LeakTest(unittest.TestCase):
    def test_nothing_leaks(self) -> None:
        def cycle() -> None:
            with AppRunner(describe_app) as upstream, ProxyApp(upstream.url) as proxy, \
                    AppRunner(Recorder(proxy)) as fake:
                fetch(fake.url, b"body")
                fetch(fake.url)
                fake.app.settle()  # type: ignore[attr-defined]
        assert_nothing_left(self, cycle, 3)


class StaleConnectionTest(unittest.TestCase):
    def proxied(self, upstream: ScriptedUpstream) -> AppRunner:
        proxy = ProxyApp(upstream.url)
        self.addCleanup(proxy.close)
        return serve(self, Recorder(proxy), record=False)

    def test_an_idle_connection_the_upstream_closed_is_not_reused(self) -> None:
        upstream = ScriptedUpstream(self, [OK])  # then closes, though it did not say so
        fake = self.proxied(upstream)
        self.assertEqual(fetch(fake.url)[2], b"ok")
        self.assertTrue(upstream.closed.wait(TIMEOUT))
        self.assertEqual(fetch(fake.url)[2], b"ok")
        self.assertEqual((upstream.connections, len(upstream.heads)), (2, 2))

    def test_a_request_without_a_body_is_sent_again_when_a_reused_connection_fails(self) -> None:
        # The upstream reads the second request, then closes as a keep-alive timeout would.
        upstream = ScriptedUpstream(self, [OK, None])
        fake = self.proxied(upstream)
        self.assertEqual(fetch(fake.url)[2], b"ok")
        self.assertEqual(fetch(fake.url)[2], b"ok")
        self.assertEqual((upstream.connections, len(upstream.heads)), (2, 3))

    def test_an_idle_connection_the_upstream_sent_a_408_on_is_not_reused(self) -> None:
        def time_out(sock: socket.socket) -> None:
            sock.sendall(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                         b"Content-Length: 0\r\n\r\n")
            sock.close()
        self.assertFreshConnectionAfter(time_out)

    def test_an_idle_connection_with_stray_bytes_on_it_is_not_reused(self) -> None:
        self.assertFreshConnectionAfter(lambda sock: sock.sendall(b"HTTP/1.1 200 OK\r\n"))

    def assertFreshConnectionAfter(self, spoil: Callable[[socket.socket], None]) -> None:
        """A GET through the fake gets its own answer after the upstream did *spoil* to the
        idle connection of the first one."""
        upstream = SpoilingUpstream(self, spoil)
        fake = self.proxied(upstream)  # type: ignore[arg-type]
        self.assertEqual(fetch(fake.url)[2], b"ok")
        self.assertTrue(upstream.spoiled.wait(TIMEOUT))
        self.assertEqual(fetch(fake.url)[2], b"ok")
        self.assertEqual(upstream.connections, 2)

    def test_a_body_goes_on_a_new_connection_when_the_idle_one_was_closed(self) -> None:
        upstream = ScriptedUpstream(self, [OK])  # answers each connection once, then closes
        fake = self.proxied(upstream)
        self.assertEqual(fetch(fake.url)[2], b"ok")
        self.assertTrue(upstream.closed.wait(TIMEOUT))
        self.assertEqual(fetch(fake.url, b"sent once, on a new connection")[2], b"ok")
        self.assertEqual((upstream.connections, len(upstream.heads)), (2, 2))

    def test_a_body_is_never_sent_twice(self) -> None:
        upstream = ScriptedUpstream(self, [OK, None])
        fake = self.proxied(upstream)
        self.assertEqual(fetch(fake.url)[2], b"ok")
        with self.assertLogs("fakeserver", "WARNING"):
            status, _, body = fetch(fake.url, b"once only")
        self.assertEqual(status, 502)
        self.assertIn(b"Remote end closed connection without response", body)
        self.assertEqual((upstream.connections, len(upstream.heads)), (1, 2))


if __name__ == "__main__":
    unittest.main()
