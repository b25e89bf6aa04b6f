"""AppRunner's lifecycle and the run_server/stop_server singleton."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import unittest
import urllib.request

from fakeserver import AppRunner, Recorder, demo_app, run_server, stop_server
from tests.support import (
    assert_nothing_left, assert_stops_promptly, echo_app, failing_app, read_until_closed,
    server_threads, wait_for_server_threads,
)


def _has_ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


class AppRunnerTest(unittest.TestCase):
    def test_address_and_url_are_known_before_start(self) -> None:
        runner = AppRunner(echo_app)
        try:
            host, port = runner.address
            self.assertEqual(host, "127.0.0.1")
            self.assertGreater(port, 0)
            self.assertEqual(runner.url, f"http://127.0.0.1:{port}")
            # Bound and listening already: a connect succeeds before start().
            socket.create_connection(runner.address).close()
        finally:
            runner.stop()

    def test_is_a_daemon_thread(self) -> None:
        runner = AppRunner()
        self.addCleanup(runner.stop)
        self.assertIsInstance(runner, threading.Thread)
        self.assertTrue(runner.daemon)

    def test_default_app_says_hello_world(self) -> None:
        with AppRunner() as runner:
            with urllib.request.urlopen(runner.url + "/upload") as response:
                body = response.read()
        self.assertIn(b"Hello world!", body)
        self.assertIs(runner.app, demo_app)

    def test_demo_app_reads_the_body_a_client_holds_back_for_100_continue(self) -> None:
        recorder = Recorder(demo_app)
        self.addCleanup(recorder.clear)
        with AppRunner(recorder) as runner:
            with socket.create_connection(runner.address, timeout=5) as sock:
                sock.sendall(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                             b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
                self.assertEqual(sock.recv(100), b"HTTP/1.1 100 Continue\r\n\r\n")
                sock.sendall(b"hello")
                self.assertTrue(read_until_closed(sock).endswith(b"Hello world!\n\nPOST /big\n"))
        [request] = recorder.settle()
        self.assertEqual(request.body, b"hello")

    def test_start_and_stop_without_context_manager(self) -> None:
        runner = AppRunner(echo_app)
        runner.start()
        self.assertTrue(runner.running)
        with urllib.request.urlopen(runner.url + "/x?y=1") as response:
            self.assertEqual(response.headers["X-Query"], "y=1")
        runner.stop()
        self.assertFalse(runner.is_alive())
        self.assertFalse(runner.running)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(runner.address, timeout=1).close()

    def test_binds_loopback_only_by_default(self) -> None:
        with AppRunner() as runner:
            self.assertEqual(runner._listener.getsockname()[0], "127.0.0.1")

    @unittest.skipUnless(_has_ipv6_loopback(), "no IPv6 loopback")
    def test_ipv6_host(self) -> None:
        with AppRunner(host="::1") as runner:
            self.assertRegex(runner.url, r"^http://\[::1\]:\d+$")
            with urllib.request.urlopen(runner.url + "/six") as response:
                self.assertIn(b"GET /six", response.read())

    def test_stop_is_idempotent_and_start_after_stop_explains(self) -> None:
        runner = AppRunner()
        runner.start()
        runner.stop()
        runner.stop()
        with self.assertRaisesRegex(RuntimeError, "create a new one"):
            runner.start()

    def test_a_port_out_of_range_is_refused(self) -> None:
        for port in (70000, -1, 65536):
            with self.subTest(port=port), self.assertRaisesRegex(
                    ValueError, "port must be an int from 0 to 65535"):
                AppRunner(port=port)

    def test_stop_without_start_closes_the_socket(self) -> None:
        runner = AppRunner()
        runner.stop()
        self.assertEqual(runner._listener.fileno(), -1)

    def test_stop_from_another_thread(self) -> None:
        runner = AppRunner()
        runner.start()
        stopper = threading.Thread(target=runner.stop)
        stopper.start()
        stopper.join(5)
        self.assertFalse(stopper.is_alive())
        self.assertFalse(runner.is_alive())

    def test_stop_from_inside_the_app(self) -> None:
        holder: list[AppRunner] = []

        def stopping_app(environ, start_response):
            holder[0].stop()
            start_response("200 OK", [("Content-Length", "4")])
            return [b"done"]

        runner = AppRunner(stopping_app)
        holder.append(runner)
        runner.start()
        with urllib.request.urlopen(runner.url) as response:
            self.assertEqual(response.read(), b"done")
        runner.stop()
        self.assertFalse(runner.is_alive())
        self.assertEqual(server_threads(), [])

    def test_stop_is_prompt_with_idle_and_silent_clients(self) -> None:
        runner = AppRunner()
        runner.start()
        keep_alive = http.client.HTTPConnection(*runner.address)
        keep_alive.request("GET", "/")
        keep_alive.getresponse().read()
        silent = socket.create_connection(runner.address)
        self.addCleanup(keep_alive.close)
        self.addCleanup(silent.close)
        # Wait until the server has accepted the silent client.
        wait_for_server_threads(3)
        assert_stops_promptly(self, runner)
        self.assertEqual(silent.recv(1), b"")

    def test_in_flight_request_may_finish(self) -> None:
        entered, release = threading.Event(), threading.Event()

        def slow_app(environ, start_response):
            entered.set()
            release.wait(5)
            start_response("200 OK", [("Content-Length", "4")])
            return [b"late"]

        runner = AppRunner(slow_app)
        runner.start()
        results: list[bytes] = []
        client = threading.Thread(
            target=lambda: results.append(urllib.request.urlopen(runner.url).read()))
        client.start()
        entered.wait(5)
        threading.Timer(0.05, release.set).start()
        runner.stop(timeout=5)
        client.join(5)
        self.assertEqual(results, [b"late"])

    def test_stop_interrupts_an_app_waiting_on_its_own(self) -> None:
        class WaitingApp:
            """Waits as a delayed stub does, until the request is done or stop() interrupts."""

            def __init__(self) -> None:
                self.entered, self.interrupted = threading.Event(), threading.Event()

            def __call__(self, environ, start_response):
                self.entered.set()
                self.interrupted.wait(30)
                start_response("200 OK", [("Content-Length", "4")])
                return [b"done"]

            def interrupt(self) -> None:
                self.interrupted.set()

        app = WaitingApp()
        runner = AppRunner(app)
        runner.start()
        results: list[bytes] = []
        client = threading.Thread(
            target=lambda: results.append(urllib.request.urlopen(runner.url, timeout=10).read()))
        client.start()
        self.assertTrue(app.entered.wait(5))
        assert_stops_promptly(self, runner)  # without interrupt(): the full 10 s timeout
        client.join(5)
        self.assertEqual(results, [b"done"])

    def test_in_flight_request_over_its_time_is_cut_off(self) -> None:
        entered = threading.Event()

        def reading_app(environ, start_response):
            entered.set()
            environ["wsgi.input"].read()  # the client never sends the body
            start_response("200 OK", [])
            return [b""]

        runner = AppRunner(reading_app)
        runner.start()
        with socket.create_connection(runner.address) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
            entered.wait(5)
            started = time.monotonic()
            with self.assertLogs("fakeserver", "WARNING") as logs:
                runner.stop(timeout=0.1)
            self.assertLess(time.monotonic() - started, 1.0)
        self.assertIn("still running", logs.output[0])
        self.assertEqual(server_threads(), [])

    def test_app_errors_are_kept_and_answered_with_500(self) -> None:
        with AppRunner(failing_app) as runner:
            with self.assertLogs("fakeserver", "WARNING") as logs:
                with self.assertRaises(urllib.error.HTTPError) as caught:
                    urllib.request.urlopen(runner.url + "/boom")
            caught.exception.close()
            self.assertEqual(caught.exception.code, 500)
            self.assertEqual(len(runner.errors), 1)
        error = runner.errors[0]
        self.assertIsInstance(error, ZeroDivisionError)
        self.assertIsNotNone(error.__traceback__)
        self.assertIn("application error on GET /boom", logs.output[0])

    def test_no_thread_or_file_descriptor_left_after_many_cycles(self) -> None:
        def cycle() -> None:
            with AppRunner(echo_app) as runner:
                connection = http.client.HTTPConnection(*runner.address)
                connection.request("POST", "/", body=b"abc")
                self.assertEqual(connection.getresponse().read(), b"abc")
                connection.close()

        assert_nothing_left(self, cycle, 50)


class RunServerTest(unittest.TestCase):
    def tearDown(self) -> None:
        stop_server()

    def test_repeated_calls_return_the_same_address(self) -> None:
        address = run_server()
        self.assertEqual(run_server(), address)
        self.assertEqual(address[0], "127.0.0.1")
        with urllib.request.urlopen("http://%s:%d/" % address) as response:
            self.assertIn(b"Hello world!", response.read())

    def test_same_app_again_is_fine_other_app_is_an_error(self) -> None:
        address = run_server(echo_app)
        self.assertEqual(run_server(echo_app), address)
        with self.assertRaisesRegex(RuntimeError, "call stop_server"):
            run_server(failing_app)

    def test_stop_server_is_idempotent_and_allows_a_new_app(self) -> None:
        first = run_server(echo_app)
        stop_server()
        stop_server()
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(first, timeout=1).close()
        second = run_server(failing_app)
        self.assertEqual(second[0], "127.0.0.1")
        self.assertEqual(len(server_threads()), 1)

    def test_the_same_bound_method_twice_is_the_same_app(self) -> None:
        class Api:
            def wsgi(self, environ, start_response):
                return echo_app(environ, start_response)

        api = Api()
        self.assertEqual(run_server(api.wsgi), run_server(api.wsgi))

    def test_thread_safe(self) -> None:
        addresses: list[tuple[str, int]] = []
        barrier = threading.Barrier(8)

        def race() -> None:
            barrier.wait()
            addresses.append(run_server(echo_app))

        threads = [threading.Thread(target=race) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(set(addresses)), 1)
        self.assertEqual(len(server_threads()), 1)


if __name__ == "__main__":
    unittest.main()
