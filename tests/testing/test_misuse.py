"""Mistakes in using the mixins, the assertions and the servers: each refused with what to write."""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import tempfile
import unittest
import urllib.request

from fakeserver import AppRunner, ServerTestCase, StubApp
from fakeserver._testing.handle import FakeServer
from fakeserver.pypi import PackageIndexTestCase
from fakeserver.smtp import SMTPServerTestCase
from fakeserver.smtp.server import SMTPServer
from tests.support import failure_message, run_case, server_threads

MIXINS = (ServerTestCase, SMTPServerTestCase, PackageIndexTestCase)


def error_text(result: unittest.TestResult) -> str:
    """The one error of *result*: its traceback's last line."""
    [(_, text)] = result.errors
    return text.rstrip().splitlines()[-1]


class MixinOrderTest(unittest.TestCase):
    def test_a_mixin_after_test_case_is_refused_when_the_class_is_defined(self) -> None:
        for mixin in MIXINS:
            with self.subTest(mixin=mixin.__name__):
                with self.assertRaises(TypeError) as caught:
                    class Case(unittest.TestCase, mixin):  # type: ignore[misc, valid-type]
                        pass
                self.assertEqual(
                    str(caught.exception),
                    f"Case lists unittest.TestCase before {mixin.__name__}, so the mixin's "
                    f"setUpClass() and setUp() would never run; list the mixin first: "
                    f"class Case({mixin.__name__}, unittest.TestCase)")

    def test_the_right_order_keeps_every_mixin_in_place(self) -> None:
        with self.assertRaises(TypeError) as caught:
            class Mail(ServerTestCase, unittest.IsolatedAsyncioTestCase, SMTPServerTestCase):
                pass
        self.assertEqual(str(caught.exception),
                         "Mail lists unittest.IsolatedAsyncioTestCase before SMTPServerTestCase, so "
                         "the mixin's setUpClass() and setUp() would never run; list the mixin "
                         "first: class Mail(ServerTestCase, SMTPServerTestCase, "
                         "unittest.IsolatedAsyncioTestCase)")

    def test_subclasses_of_a_well_ordered_case_are_fine(self) -> None:
        class Base(ServerTestCase, unittest.TestCase):
            pass

        class Case(Base):
            pass

        class Mixed(SMTPServerTestCase, Base):
            pass

        self.assertIn(unittest.TestCase, Mixed.__mro__)


class MissingSuperTest(unittest.TestCase):
    def test_set_up_class_without_super_names_the_missing_call(self) -> None:
        for mixin in MIXINS:
            with self.subTest(mixin=mixin.__name__):
                ran = []

                class Case(mixin, unittest.TestCase):  # type: ignore[misc, valid-type]
                    @classmethod
                    def setUpClass(cls) -> None:
                        cls.prepared = True

                    def test(self) -> None:
                        ran.append(self)

                result = run_case(Case)
                self.assertEqual(error_text(result),
                                 "TypeError: Case.setUpClass() did not call super().setUpClass(), "
                                 "so no fake server was started: call it first in "
                                 "Case.setUpClass()")
                self.assertEqual(ran, [])
                self.assertEqual(server_threads(), [])

    def test_set_up_without_super_names_the_missing_call(self) -> None:
        for mixin in MIXINS:
            with self.subTest(mixin=mixin.__name__):
                ran = []

                class Case(mixin, unittest.TestCase):  # type: ignore[misc, valid-type]
                    def setUp(self) -> None:
                        self.prepared = True

                    def test(self) -> None:
                        ran.append(self)

                result = run_case(Case)
                self.assertEqual(error_text(result),
                                 "TypeError: Case.setUp() did not call super().setUp(), so the "
                                 "fake servers were not made ready for this test: call it first "
                                 "in Case.setUp()")
                self.assertEqual(ran, [])
                self.assertEqual(server_threads(), [])

    def test_overrides_calling_super_at_any_depth_pass(self) -> None:
        calls = []

        class Base(ServerTestCase, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                calls.append("Base class")

            def setUp(self) -> None:
                super().setUp()
                calls.append("Base")

        class Case(Base):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                calls.append("Case class")

            def setUp(self) -> None:
                super().setUp()
                calls.append("Case")

            def test(self) -> None:
                self.stub("GET", "/")
                urllib.request.urlopen(self.url("/"), timeout=10).close()

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(calls, ["Base class", "Case class", "Base", "Case"])
        result = run_case(Case)  # and again, in the same process
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)


class StubOnTheClassTest(unittest.TestCase):
    def test_stub_in_set_up_class_points_to_the_class_wide_way(self) -> None:
        for call, text in (
                (lambda cls: cls.stub("GET", "/a"), "Case.stub() is for one test: call self.stub(...) "
                 "in the test; for every test of the class, call cls.stubs.stub(...) in setUpClass()"),
                (lambda cls: cls.load_stubs("stubs.json"), "Case.load_stubs() is for one test: call "
                 "self.load_stubs(...) in the test; for every test of the class, call "
                 "cls.stubs.load(path) in setUpClass()")):
            with self.subTest(text=text):
                class Case(ServerTestCase, unittest.TestCase):
                    @classmethod
                    def setUpClass(cls) -> None:
                        super().setUpClass()
                        call(cls)

                    def test(self) -> None:
                        pass

                self.assertEqual(error_text(run_case(Case)), "TypeError: " + text)
                self.assertEqual(server_threads(), [])

    def test_the_methods_still_work_on_self_and_called_through_the_class(self) -> None:
        class Case(ServerTestCase, unittest.TestCase):
            def test(self) -> None:
                ServerTestCase.stub(self, "GET", "/a").respond(text="a")
                self.stub("GET", "/b").respond(text="b")
                for path in ("/a", "/b"):
                    with urllib.request.urlopen(self.url(path), timeout=10) as response:
                        self.assertEqual(response.read(), path[1:].encode())

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(ServerTestCase.stub.__name__, "stub")
        self.assertIn("Declare a stub", ServerTestCase.stub.__doc__)


class TargetTest(ServerTestCase, unittest.TestCase):
    def refusal(self, call: object, *args: object, **kwargs: object) -> str:
        with self.assertRaises(ValueError) as caught:
            call(*args, **kwargs)  # type: ignore[operator]
        return str(caught.exception)

    def test_swapped_arguments_of_the_assertions(self) -> None:
        self.assertEqual(self.refusal(self.assertRequested, "POST", "/items"),
                         'assertRequested("POST", "/items") takes the path first: '
                         'write assertRequested("/items", method="POST")')
        self.assertEqual(self.refusal(self.assertNotRequested, "GET", "/items"),
                         'assertNotRequested("GET", "/items") takes the path first: '
                         'write assertNotRequested("/items", method="GET")')
        self.assertEqual(self.refusal(self.assertRequested, "POST"),
                         'assertRequested("POST") takes the path first: '
                         'write assertRequested(None, method="POST")')

    def test_a_path_without_a_slash(self) -> None:
        self.assertEqual(self.refusal(self.assertRequested, "items", method="GET"),
                         'assertRequested("items", method="GET"): a path starts with "/" (or is a '
                         'full URL or a compiled pattern): write assertRequested("/items", '
                         'method="GET")')

    def test_stubs_take_the_method_first(self) -> None:
        self.assertEqual(self.refusal(self.stub, "/items", "GET"),
                         'stub("/items", "GET") takes the method first: write stub("GET", "/items")')
        self.assertEqual(self.refusal(self.stub, "/items"),
                         'stub("/items") takes the method first: write stub("GET", "/items")')
        self.assertEqual(self.refusal(StubApp().stub, "GET", "items"),
                         'stub("GET", "items"): a path starts with "/" (or is a full URL or a '
                         'compiled pattern): write stub("GET", "/items")')
        self.assertEqual(self.stubs.stubs, [])

    def test_stub_files_are_checked_before_any_stub_is_declared(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = os.path.join(directory.name, "stubs.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump([{"request": {"path": "/ok"}}, {"request": {"path": "items"}}], file)
        with self.assertRaises(ValueError) as caught:
            self.load_stubs(path)
        self.assertEqual(str(caught.exception), f'{path}: entry 1: request.path must start with '
                                                f'"/" (or be a full URL), not \'items\'')
        self.assertEqual(self.stubs.stubs, [])

    def test_the_pytest_handle_names_its_own_methods(self) -> None:
        handle = FakeServer()
        self.addCleanup(handle.stop)
        self.assertEqual(self.refusal(handle.assert_requested, "POST", "/items"),
                         'assert_requested("POST", "/items") takes the path first: '
                         'write assert_requested("/items", method="POST")')
        self.assertEqual(self.refusal(handle.assert_not_requested, "items"),
                         'assert_not_requested("items"): a path starts with "/" (or is a full URL '
                         'or a compiled pattern): write assert_not_requested("/items")')

    def test_full_urls_and_patterns_are_paths(self) -> None:
        self.stub("GET", self.url("/items")).respond(text="by URL")
        with urllib.request.urlopen(self.url("/items?page=2"), timeout=10) as response:
            self.assertEqual(response.read(), b"by URL")
        self.assertRequested(self.url("/items?page=2"), method="GET")
        self.assertRequested(re.compile("/it.*"), "GET")
        self.assertNotRequested(self.url("/items?page=3"))
        # A URL is compared with the request's: scheme, host and port too, in any case.
        self.assertRequested(self.url("/items").replace("http://", "HTTP://"), method="GET")
        self.assertNotRequested(self.url("/items").replace("http://", "https://"))
        self.assertNotRequested(self.url("/items").replace("127.0.0.1", "localhost"))
        self.assertNotRequested("http://127.0.0.1:1/items")
        self.assertEqual(failure_message(self, self.assertRequested, "http://127.0.0.1:1/items"),
                         "Expected a request matching http://127.0.0.1:1/items; 0 of 1 recorded "
                         "request match.\n"
                         "Closest recorded requests:\n"
                         f"  GET /items?page=2   path {self.url('/items')!r} != "
                         "'http://127.0.0.1:1/items'")


class PortInUseTest(unittest.TestCase):
    def test_the_error_names_host_and_port(self) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            for server in (AppRunner, SMTPServer):
                with self.subTest(server=server.__name__):
                    with self.assertRaises(OSError) as caught:
                        server(port=port)
                    self.assertEqual(caught.exception.errno, errno.EADDRINUSE)
                    self.assertEqual(str(caught.exception),
                                     f"[Errno {errno.EADDRINUSE}] {os.strerror(errno.EADDRINUSE)}: "
                                     f"'127.0.0.1:{port}'")


if __name__ == "__main__":
    unittest.main()
