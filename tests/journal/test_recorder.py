"""The Recorder middleware: what it keeps, and that it changes nothing on the wire."""

from __future__ import annotations

import http.client
import json
import threading
import unittest
import urllib.parse
import urllib.request
from contextlib import closing

from fakeserver import AppRunner, Recorder
from tests.support import (
    ClosingApp, echo_app, failing_app, multipart, open_fd_count, read_body, streaming_app,
)


def json_app(environ, start_response):
    body = json.dumps({"seen": read_body(environ).decode("latin-1")}).encode()
    start_response("201 Created", [("Content-Type", "application/json; charset=utf-8"),
                                   ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    return [body]


class RecorderCase(unittest.TestCase):
    app = staticmethod(echo_app)

    def setUp(self) -> None:
        self.recorder = Recorder(self.app)
        self.runner = AppRunner(self.recorder)
        self.runner.start()
        self.addCleanup(self.recorder.clear)
        self.addCleanup(self.runner.stop)

    def recorded(self) -> list:
        return self.recorder.settle()


class RequestAttributesTest(RecorderCase):
    app = staticmethod(json_app)

    def test_request_and_response_fields(self) -> None:
        request = urllib.request.Request(
            self.runner.url + "/items/7?page=2&tag=a&tag=b&empty=", data=b"hello",
            headers={"Content-Type": "text/plain; charset=utf-8", "X-Token": "t"}, method="PUT")
        request.add_header("Accept", "application/json")
        with urllib.request.urlopen(request) as response:
            self.assertEqual(json.loads(response.read()), {"seen": "hello"})
        [recorded] = self.recorded()
        self.assertEqual(recorded.method, "PUT")
        self.assertEqual(recorded.path, "/items/7")
        self.assertEqual(recorded.query_string, "page=2&tag=a&tag=b&empty=")
        self.assertEqual(recorded.query, {"page": ["2"], "tag": ["a", "b"], "empty": [""]})
        self.assertEqual(recorded.target, "/items/7?page=2&tag=a&tag=b&empty=")
        self.assertEqual(recorded.headers["x-token"], "t")
        self.assertEqual(recorded.headers["CONTENT-TYPE"], "text/plain; charset=utf-8")
        self.assertEqual(recorded.body, b"hello")
        self.assertEqual(recorded.text, "hello")
        self.assertEqual(recorded.url, self.runner.url + "/items/7?page=2&tag=a&tag=b&empty=")
        self.assertEqual(recorded.client_address[0], "127.0.0.1")
        self.assertGreater(recorded.client_address[1], 0)
        self.assertIsInstance(recorded.time, float)
        self.assertIsNone(recorded.error)
        self.assertTrue(recorded.completed)
        response = recorded.response
        self.assertEqual((response.status, response.reason), (201, "Created"))
        self.assertEqual(response.headers.get_all("set-cookie"), ["a=1", "b=2"])
        self.assertEqual(response.json(), {"seen": "hello"})
        self.assertEqual(response.text, '{"seen": "hello"}')
        self.assertEqual(response.body, b'{"seen": "hello"}')

    def test_paths_are_recorded_as_the_text_the_client_meant(self) -> None:
        urllib.request.urlopen(self.runner.url + "/caf%C3%A9/%E2%82%AC?q=%C3%A9").close()
        [recorded] = self.recorded()
        self.assertEqual(recorded.path, "/caf\u00e9/\u20ac")
        self.assertEqual(recorded.query, {"q": ["\u00e9"]})

    def test_repeated_request_headers_are_kept(self) -> None:
        with closing(http.client.HTTPConnection(*self.runner.address)) as connection:
            connection.putrequest("GET", "/h")
            connection.putheader("X-Many", "1")
            connection.putheader("x-many", "2")
            connection.endheaders()
            connection.getresponse().read()
        [recorded] = self.recorded()
        self.assertEqual(recorded.headers.get_all("X-MANY"), ["1", "2"])

    def test_json_body(self) -> None:
        urllib.request.urlopen(urllib.request.Request(
            self.runner.url + "/j", data=b'{"a": [1, 2]}',
            headers={"Content-Type": "application/json"})).close()
        self.assertEqual(self.recorded()[0].json(), {"a": [1, 2]})

    def test_json_of_a_non_json_body_says_what_it_was(self) -> None:
        urllib.request.urlopen(self.runner.url + "/j", data=b"not json").close()
        with self.assertRaisesRegex(ValueError, r"body is not JSON .*b'not json'"):
            self.recorded()[0].json()

    def test_urlencoded_form(self) -> None:
        data = urllib.parse.urlencode({"name": "fakeserver", "tags": "a"}).encode() + b"&tags=b"
        urllib.request.urlopen(self.runner.url + "/f", data=data).close()
        [recorded] = self.recorded()
        self.assertEqual(recorded.form, {"name": ["fakeserver"], "tags": ["a", "b"]})
        self.assertEqual(recorded.files, {})

    def test_multipart_fields_and_binary_files(self) -> None:
        binary = bytes(range(256)) * 4 + b"\r\n--not-a-boundary\r\n\n\r"
        body, content_type = multipart(
            {":action": "file_upload", "name": "caf\u00e9"},
            {"content": ("pkg-1.0.tar.gz", "application/octet-stream", binary),
             "other": ("notes.txt", "text/plain", b"line\r\n")})
        urllib.request.urlopen(urllib.request.Request(
            self.runner.url + "/", data=body, headers={"Content-Type": content_type})).close()
        [recorded] = self.recorded()
        self.assertEqual(recorded.form, {":action": ["file_upload"], "name": ["caf\u00e9"]})
        [upload] = recorded.files["content"]
        self.assertEqual((upload.name, upload.filename, upload.content_type),
                         ("content", "pkg-1.0.tar.gz", "application/octet-stream"))
        self.assertEqual(upload.data, binary)
        self.assertEqual(recorded.files["other"][0].data, b"line\r\n")
        self.assertIn("pkg-1.0.tar.gz", repr(upload))
        self.assertIs(recorded.file("content"), upload)

    def test_file_is_the_one_upload_of_a_field_or_says_what_there_is(self) -> None:
        body, content_type = multipart({"note": "x"}, {"a": ("a.txt", "text/plain", b"1"),
                                                       "b": ("b.txt", "text/plain", b"2")})
        twice = body.replace(b'name="b"', b'name="a"')
        for data in (body, twice):
            urllib.request.urlopen(urllib.request.Request(
                self.runner.url + "/", data=data, headers={"Content-Type": content_type})).close()
        one, two = self.recorded()
        self.assertEqual(one.file("b").data, b"2")
        with self.assertRaises(KeyError) as caught:
            one.file("note")
        self.assertEqual(caught.exception.args[0],
                         "no file was uploaded as 'note'; fields with files: 'a', 'b'")
        with self.assertRaises(ValueError) as caught:
            two.file("a")
        self.assertEqual(str(caught.exception),
                         "2 files were uploaded as 'a'; take them from files['a']")
        self.assertEqual([f.filename for f in two.files["a"]], ["a.txt", "b.txt"])


class BodyTest(RecorderCase):
    def test_chunked_upload_is_recorded_decoded(self) -> None:
        with closing(http.client.HTTPConnection(*self.runner.address)) as connection:
            connection.request("POST", "/c", body=iter([b"ab", b"cd" * 5000]), encode_chunked=True)
            self.assertEqual(connection.getresponse().read(), b"ab" + b"cd" * 5000)
        [recorded] = self.recorded()
        self.assertEqual(recorded.body, b"ab" + b"cd" * 5000)
        self.assertEqual(recorded.headers["Transfer-Encoding"], "chunked")

    def test_body_the_app_did_not_read_is_recorded_whole(self) -> None:
        def ignoring_app(environ, start_response):
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]

        self.recorder.app = ignoring_app
        with closing(http.client.HTTPConnection(*self.runner.address)) as connection:
            connection.request("POST", "/", body=b"unread")
            self.assertEqual(connection.getresponse().read(), b"ok")
            connection.request("POST", "/", body=b"again")  # the connection stays in sync
            self.assertEqual(connection.getresponse().read(), b"ok")
        self.assertEqual([r.body for r in self.recorded()], [b"unread", b"again"])

    def test_large_bodies_are_spooled_to_a_file_and_released(self) -> None:
        self.recorder.spool_threshold = 1000
        fds = open_fd_count()  # None where the OS does not tell
        body = b"z" * 300_000
        with closing(http.client.HTTPConnection(*self.runner.address)) as connection:
            connection.request("POST", "/big", body=body)
            self.assertEqual(connection.getresponse().read(), body)
        [recorded] = self.recorded()
        self.assertTrue(recorded._body.spooled)  # on disk, not in memory
        self.assertEqual(recorded.body_size, len(body))
        self.assertEqual(recorded.body, body)
        self.assertEqual(recorded.response.body, body)
        self.runner.stop()  # closes the server's side of the connection too
        if fds is not None:
            spooled = open_fd_count()
            self.recorder.clear()
            self.assertEqual(spooled - open_fd_count(), 2)  # the request's and the response's


class StreamingTest(RecorderCase):
    app = staticmethod(streaming_app)

    def test_streaming_response_is_copied_and_still_streams(self) -> None:
        with closing(http.client.HTTPConnection(*self.runner.address)) as connection:
            connection.request("GET", "/s")
            response = connection.getresponse()
            self.assertEqual(response.headers["Transfer-Encoding"], "chunked")
            self.assertEqual(response.read(), b"one,two,three")
        self.assertEqual(self.recorded()[0].response.body, b"one,two,three")

    def test_close_of_the_app_iterable_is_called(self) -> None:
        app = ClosingApp(b"x")
        self.recorder.app = app
        urllib.request.urlopen(self.runner.url).close()
        self.recorded()
        self.assertTrue(app.closed.is_set())

    def test_single_item_list_keeps_its_content_length(self) -> None:
        self.recorder.app = lambda environ, start_response: (
            start_response("200 OK", []) and None) or [b"whole"]
        with urllib.request.urlopen(self.runner.url) as response:
            self.assertEqual(response.headers["Content-Length"], "5")
        self.assertEqual(self.recorded()[0].response.body, b"whole")


class ErrorTest(RecorderCase):
    app = staticmethod(failing_app)

    def test_app_exception_is_recorded_and_reraised(self) -> None:
        with self.assertLogs("fakeserver", "WARNING"):
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(self.runner.url + "/boom")
        caught.exception.close()
        [recorded] = self.recorded()
        self.assertIsInstance(recorded.error, ZeroDivisionError)
        self.assertIs(self.runner.errors[0], recorded.error)  # re-raised to the server

    def test_a_response_never_sent_is_not_recorded(self) -> None:
        def late_failure(environ, start_response):
            start_response("200 OK", [])
            raise KeyError("after start_response, before any byte")

        def bad_header(environ, start_response):
            start_response("200 OK", [("X-Bad", "a\nb")])
            return [b"never sent"]

        for app in (late_failure, bad_header):
            with self.subTest(app=app.__name__):
                self.recorder.clear()
                self.recorder.app = app
                with self.assertLogs("fakeserver", "WARNING"):
                    with self.assertRaises(urllib.error.HTTPError) as caught:
                        urllib.request.urlopen(self.runner.url)
                caught.exception.close()
                self.assertEqual(caught.exception.code, 500)  # what the client got
                [recorded] = self.recorded()
                self.assertIsNone(recorded.response)  # not the 200 it never saw
                self.assertIsNotNone(recorded.error)

    def test_exception_while_streaming_is_recorded(self) -> None:
        def app(environ, start_response):
            start_response("200 OK", [])
            yield b"part"
            raise KeyError("late")

        self.recorder.app = app
        with self.assertLogs("fakeserver", "WARNING"):
            with closing(http.client.HTTPConnection(*self.runner.address)) as connection:
                connection.request("GET", "/")
                with self.assertRaises(http.client.IncompleteRead):
                    connection.getresponse().read()
        self.assertIsInstance(self.recorded()[0].error, KeyError)


class ConcurrencyTest(RecorderCase):
    def test_dozens_of_simultaneous_requests_are_all_recorded(self) -> None:
        barrier = threading.Barrier(40)

        def client(i: int) -> None:
            barrier.wait()
            urllib.request.urlopen(self.runner.url + f"/n/{i}", data=b"%d" % i).close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        recorded = self.recorded()
        self.assertEqual(sorted(r.path for r in recorded), sorted(f"/n/{i}" for i in range(40)))
        self.assertTrue(all(r.body == r.path.split("/")[-1].encode() for r in recorded))
        self.assertEqual(sorted(recorded, key=lambda r: r.time), recorded)


if __name__ == "__main__":
    unittest.main()
