"""WireMock mapping files, as WireMock's documentation writes them, served as they are.

The files are under ``tests/stubs/wiremock/`` (its NOTES.rst says which page
each comes from). Each is loaded with ``StubApp.from_file``, served by
``AppRunner`` and asked with real clients.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import tempfile
import unittest
import urllib.request
from contextlib import closing
from typing import Any

from fakeserver import AppRunner, Recorder, StubApp
from fakeserver.stubs.wiremock import mapping_entries
from tests.support import call, json_file

MAPPINGS = os.path.join(os.path.dirname(__file__), "wiremock")


def mapping(*parts: str) -> str:
    return os.path.join(MAPPINGS, *parts)


class Served:
    """The stubs of *path*, recorded and served until *test* ends."""

    def __init__(self, test: unittest.TestCase, path: str) -> None:
        self.stubs = StubApp.from_file(path)
        self.recorder = Recorder(self.stubs)
        self.runner = AppRunner(self.recorder)
        self.runner.start()
        test.addCleanup(self.runner.stop)

    def get(self, target: str, data: bytes | None = None, headers: dict[str, str] | None = None,
            method: str | None = None) -> tuple[int, bytes, dict[str, str]]:
        return call(self.runner.url + target, data, headers, method)

    def body(self, target: str, data: bytes | None = None,
             headers: dict[str, str] | None = None) -> bytes | int:
        """The body of a 200 answer, else the status."""
        status, body, _ = self.get(target, data, headers)
        return body if status == 200 else status

    def raw_get(self, target: str) -> bytes:
        """GET with http.client, reading the whole body (what a fault breaks)."""
        with closing(http.client.HTTPConnection(*self.runner.address,
                                                timeout=5)) as connection:
            connection.request("GET", target)
            return connection.getresponse().read()


class MappingDirectoryTest(unittest.TestCase):
    """WireMock's root folder: ``mappings/`` read, ``__files/`` left alone."""

    def setUp(self) -> None:
        self.served = Served(self, mapping("root"))

    def test_every_mapping_file_is_read(self) -> None:
        self.assertEqual(len(self.served.stubs.stubs), 13)

    def test_basic_stubbing(self) -> None:
        status, body, headers = self.served.get("/some/thing")
        self.assertEqual((status, body, headers["Content-Type"]),
                         (200, b"Hello, world!", "text/plain"))
        # url is the path and the query, whole: these fall to the catch-all of priority 10.
        for target in ("/some/thing?x=1", "/some/thing/else"):
            with self.subTest(target=target):
                status, body, headers = self.served.get(target)
                self.assertEqual((status, json.loads(body), headers["Content-Type"]),
                                 (404, {"status": "Error", "message": "Endpoint not found"},
                                  "application/json"))

    def test_priority_one_is_the_highest(self) -> None:
        self.assertEqual(self.served.body("/api/specific-resource"), b"Resource state")
        self.assertEqual(self.served.body("/api/other-resource"), 401)

    def test_response_headers_and_bodies(self) -> None:
        status, _, headers = self.served.get("/whatever")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Cache-Control"], "no-cache")
        with urllib.request.urlopen(self.served.runner.url + "/whatever", timeout=10) as response:
            self.assertEqual(response.headers.get_all("Set-Cookie"),
                             ["session_id=91837492837", "split_test_group=B"])
        self.assertEqual(self.served.body("/body"), b"Literal text to put in the body")
        self.assertEqual(json.loads(self.served.body("/json-body")), {"arbitrary_json": [1, 2, 3]})
        self.assertEqual(self.served.body("/binary-body"), b"YES INDEED!")

    def test_the_to_do_list_scenario(self) -> None:
        self.assertEqual(self.served.body("/todo/items"), b"<items><item>Buy milk</item></items>")
        self.assertEqual(self.served.get("/todo/items", b"Buy bread")[0], 404)  # no such body
        self.assertEqual(self.served.get("/todo/items", b"Cancel newspaper subscription")[0], 201)
        self.assertEqual(self.served.stubs.scenarios, {"To do list": "Cancel newspaper item added"})
        self.assertEqual(self.served.body("/todo/items"),
                         b"<items><item>Buy milk</item><item>Cancel newspaper subscription</item>"
                         b"</items>")

    def test_a_fixed_delay_in_milliseconds(self) -> None:
        with self.assertRaises(socket.timeout):  # TimeoutError, from Python 3.10
            urllib.request.urlopen(self.served.runner.url + "/delayed", timeout=0.5)
        [request] = self.served.recorder.requests
        self.assertTrue(request.wait(5))
        self.assertIn("during the stub's 2s delay", str(request.error))

    def test_a_malformed_response_chunk(self) -> None:
        with self.assertRaises(http.client.IncompleteRead) as caught:
            self.served.raw_get("/fault")
        self.assertEqual(caught.exception.partial, b"")  # a status line, then a broken body


class RequestMatchingTest(unittest.TestCase):
    """The examples of WireMock's "Request Matching" page, one file at a time."""

    def answers(self, name: str, cases: dict[str, bytes | int]) -> None:
        served = Served(self, mapping("request-matching", name))
        for target, expected in cases.items():
            with self.subTest(name=name, target=target):
                self.assertEqual(served.body(target), expected)

    def test_url_is_the_path_and_query_whole(self) -> None:
        self.answers("url.json", {"/your/url?and=query": b"url", "/your/url": 404,
                                  "/your/url?and=query&more=1": 404, "/your/url?and=other": 404})

    def test_url_pattern_is_a_regex_over_path_and_query(self) -> None:
        self.answers("url-pattern.json", {"/your/abc?and=query": b"urlPattern",
                                          "/your/?and=query": b"urlPattern",
                                          "/your/abc": 404, "/your/ABC?and=query": 404,
                                          "/your/abc?and=query&more=1": 404})

    def test_url_path_is_the_path_whatever_the_query(self) -> None:
        self.answers("url-path.json", {"/your/url": b"urlPath", "/your/url?and=query": b"urlPath",
                                       "/your/url/more": 404, "/your": 404})

    def test_url_path_pattern_is_a_regex_over_the_path(self) -> None:
        self.answers("url-path-pattern.json", {"/your/abc": b"urlPathPattern",
                                               "/your/abc?any=query": b"urlPathPattern",
                                               "/your/abc/def": 404, "/your/ABC": 404,
                                               "/other/your/abc": 404})

    def test_url_path_template(self) -> None:
        served = Served(self, mapping("request-matching", "url-path-template.json"))
        self.assertEqual(served.get("/contacts/12345/addresses/99876")[:2], (200, b""))
        self.assertEqual(served.get("/contacts/12345/addresses")[0], 404)
        self.assertEqual(served.get("/contacts/12345/addresses/9/more")[0], 404)
        self.assertEqual(served.get("/contacts/12345/addresses/99876", b"", method="POST")[0],
                         404)

    def test_matching_other_attributes(self) -> None:
        served = Served(self, mapping("request-matching", "other-attributes.json"))
        json_type = {"Content-Type": "application/json"}
        self.assertEqual(served.body("/equality", headers=json_type), b"equalTo")
        self.assertEqual(served.body("/equality", headers={"Content-Type": "Application/JSON"}),
                         404)
        self.assertEqual(served.body("/case-insensitive",
                                     headers={"content-type": "Application/JSON"}),
                         b"caseInsensitive")
        self.assertEqual(served.body("/case-insensitive",
                                     headers={"Content-Type": "application/json; x"}), 404)
        self.assertEqual(served.body("/contains", headers={
            "Cookie": "my_profile=id:johnsmith@example.com;x"}), b"contains")
        self.assertEqual(served.body("/contains", headers={"Cookie": "my_profile=jane"}), 404)
        self.assertEqual(served.body("/regex?search_term=use%20wiremockNow"), b"matches")
        self.assertEqual(served.body("/regex?search_term=wiremock"), 404)  # [A-Za-z]+ after
        self.assertEqual(served.body("/absence"), b"absent")
        for target, headers in (("/absence", {"X-Absent": "here"}),
                                ("/absence?search_term=x", None),
                                ("/absence", {"Cookie": "session=1"})):
            with self.subTest(target=target, headers=headers):
                self.assertEqual(served.body(target, headers=headers), 404)
        self.assertEqual(served.get("/mock", b"tool=WireMock")[:2], (200, b""))
        self.assertEqual(served.get("/mock", b"tool=Other")[0], 404)

    def test_body_patterns(self) -> None:
        served = Served(self, mapping("request-matching", "bodies.json"))
        for target in ("/json-equality", "/json-string-literal"):
            with self.subTest(target=target):
                self.assertEqual(served.get(target, b'{"total_results": 4}')[0], 200)
                self.assertEqual(served.get(target, b'{"total_results": 4, "more": 1}')[0],
                                 404)
                self.assertEqual(served.get(target, b"total_results=4")[0], 404)
        self.assertEqual(served.body("/json-less-strict", b'{"total_results": 4, "more": 1}'),
                         b"ignoreExtraElements")
        self.assertEqual(served.body("/json-less-strict", b'{"total_results": 5}'), 404)
        self.assertEqual(served.body("/binary", b"\x01\x02\x03"), b"binaryEqualTo")
        self.assertEqual(served.body("/binary", b"\x01\x02"), 404)
        self.assertEqual(served.body("/text", b"abc"), b"matches")
        self.assertEqual(served.body("/text", b"HELLO"), b"equalTo")
        self.assertEqual(served.body("/text", b"abc1"), 404)  # matches the whole body


class FaultTest(unittest.TestCase):
    def test_each_fault_of_wiremock(self) -> None:
        expected: dict[str, type[Exception]] = {
            "/reset": ConnectionResetError, "/empty": http.client.RemoteDisconnected,
            "/malformed-chunk": http.client.IncompleteRead,
            "/random-data": http.client.BadStatusLine}
        served = Served(self, mapping("faults.json"))
        for target, error in expected.items():
            with self.subTest(target=target):
                with self.assertRaises(error):
                    served.raw_get(target)


class TranslationTest(unittest.TestCase):
    """The stub-file entries the mappings become: the table of what maps to what."""

    def entries(self, *parts: str) -> list[dict[str, Any]]:
        with open(mapping(*parts), encoding="utf-8") as file:
            return mapping_entries(json.load(file), "f.json")[1]

    def test_priorities_and_scenarios(self) -> None:
        self.assertEqual([entry.get("priority") for entry in
                          self.entries("root", "mappings", "stubbing-priority.json")], [0, 4])
        self.assertEqual(self.entries("root", "mappings", "stubbing-unmapped.json")[0]["priority"],
                         -5)
        self.assertEqual(self.entries("root", "mappings", "stateful-behaviour.json")[1], {
            "request": {"method": "POST", "target": "/todo/items",
                        "body": {"$contains": "Cancel newspaper subscription"}},
            "response": {"status": 201},
            "scenario": "To do list", "state": "Started",
            "new_state": "Cancel newspaper item added"})

    def test_delays_and_faults(self) -> None:
        self.assertEqual(self.entries("root", "mappings", "simulating-faults.json"), [
            {"request": {"method": "GET", "target": "/delayed"},
             "response": {"status": 200, "delay": 2.0}},
            {"request": {"method": "GET", "target": "/fault"}, "response": {"fault": "truncate"}}])
        self.assertEqual([entry["response"]["fault"] for entry in self.entries("faults.json")],
                         ["reset", "close", "truncate", "malformed"])

    def test_urls(self) -> None:
        requests = [self.entries("request-matching", name)[0]["request"] for name in (
            "url.json", "url-pattern.json", "url-path.json", "url-path-pattern.json",
            "url-path-template.json")]
        self.assertEqual(requests, [
            {"target": "/your/url?and=query"},
            {"target": {"$regex": "^(?:/your/([a-z]*)\\?and=query)\\Z"}},
            {"path": "/your/url"},
            {"path": {"$regex": "^(?:/your/([a-z]*))\\Z"}},
            {"method": "GET", "path": "/contacts/{contactId}/addresses/{addressId}"}])

    def test_a_literal_path_stays_literal(self) -> None:
        labels, entries = mapping_entries({"mappings": [
            {"name": "braces", "request": {"urlPath": "/a/{b}"}}]}, "f.json")
        self.assertEqual(labels, ["mappings[0] (name 'braces')"])
        self.assertEqual(entries[0]["request"], {"path": {"$regex": "^/a/\\{b\\}\\Z"}})
        served = Served(self, json_file(self, {"request": {"urlPath": "/a/{b}?c"}}))
        self.assertEqual(served.get("/a/%7Bb%7D%3Fc")[0], 200)
        self.assertEqual(served.get("/a/x")[0], 404)  # no template


class UnsupportedTest(unittest.TestCase):
    """What cannot be honoured is refused, naming the file, the mapping and the field."""

    READS_RESPONSE = ("fakeserver reads response.status, response.body, response.jsonBody, "
                      "response.base64Body, response.headers, response.fixedDelayMilliseconds, "
                      "response.fault")
    READS_REQUEST = ("fakeserver reads request.method, request.url, request.urlPath, "
                     "request.urlPattern, request.urlPathPattern, request.urlPathTemplate, "
                     "request.queryParameters, request.headers, request.cookies, "
                     "request.formParameters, request.bodyPatterns")

    def test_the_documentation_examples_fakeserver_cannot_honour(self) -> None:
        expected = {
            "array-order.json": "mapping: request.bodyPatterns[0].ignoreArrayOrder is not "
                                "supported for a document with arrays; fakeserver compares "
                                "arrays item by item, in order",
            "body-file.json": f"mapping: response.bodyFileName is not supported; "
                              f"{self.READS_RESPONSE}",
            "chunked-dribble-delay.json": f"mapping: response.chunkedDribbleDelay is not "
                                          f"supported; {self.READS_RESPONSE}",
            "delay-distribution.json": f"mapping: response.delayDistribution is not supported; "
                                       f"{self.READS_RESPONSE}",
            "does-not-match.json": "mappings[0] (id '76ada7b0-49ae-4229-91c4-396a36f18e09'): "
                                   "request.queryParameters['search_term'].doesNotMatch is not "
                                   "supported; fakeserver reads equalTo (caseInsensitive), "
                                   "matches, contains, absent",
            "everything.json": f"mapping: request.multipartPatterns is not supported; "
                               f"{self.READS_REQUEST}",
            "get-or-head.json": "mapping: request.method 'GET_OR_HEAD' is not supported; give "
                                "one method, or ANY",
            "json-path.json": "mappings[0] (name 'a name'): request.bodyPatterns[0]."
                              "matchesJsonPath is not supported; fakeserver reads equalTo "
                              "(caseInsensitive), contains, matches, binaryEqualTo, equalToJson "
                              "(ignoreExtraElements, ignoreArrayOrder)",
            "json-unit-placeholder.json": "mapping: request.bodyPatterns[0].equalToJson: "
                                          "JsonUnit placeholders such as "
                                          "'${json-unit.any-string}' are not supported",
            "path-parameters.json": f"mapping: request.pathParameters is not supported; "
                                    f"{self.READS_REQUEST}",
            "proxy.json": f"mapping: response.proxyBaseUrl is not supported; "
                          f"{self.READS_RESPONSE}",
            "status-message.json": f"mapping: response.statusMessage is not supported; "
                                   f"{self.READS_RESPONSE}",
            "transformers.json": f"mapping: response.transformers is not supported; "
                                 f"{self.READS_RESPONSE}",
            "url-and-path.json": "mapping: request has url and urlPath; give one",
        }
        self.assertEqual(sorted(expected), sorted(os.listdir(mapping("unsupported"))))
        for name, message in expected.items():
            with self.subTest(name=name):
                path = mapping("unsupported", name)
                with self.assertRaises(ValueError) as caught:
                    StubApp.from_file(path)
                self.assertEqual(str(caught.exception), f"{path}: {message}")

    def refused(self, document: object) -> str:
        path = json_file(self, document)
        with self.assertRaises(ValueError) as caught:
            StubApp.from_file(path)
        self.assertTrue(str(caught.exception).startswith(f"{path}: "))
        return str(caught.exception)[len(path) + 2:]

    def test_values_are_checked_naming_wiremock_fields(self) -> None:
        cases = [
            ({"request": {"urlPattern": "/a("}},
             "mapping: request.urlPattern: invalid pattern '/a(': missing ), unterminated "
             "subpattern at position 2"),
            ({"mappings": [{"request": {"urlPathPattern": "a)|(b"}}]},
             "mappings[0]: request.urlPathPattern: invalid pattern 'a)|(b': unbalanced "
             "parenthesis at position 1"),
            ({"request": {"urlPath": "your/url"}},
             "mapping: request.urlPath must start with \"/\", not 'your/url'"),
            ({"request": {"urlPathTemplate": "/a/{+path}"}},
             "mapping: request.urlPathTemplate '/a/{+path}': only path segments such as {id} "
             "are supported, not RFC 6570's other expressions"),
            ({"request": {"headers": {"X-A": "1"}}},
             "mapping: request.headers['X-A'] must be an object such as {\"equalTo\": \"...\"}, "
             "not '1'"),
            ({"request": {"headers": {"X-A": {"equalTo": "1", "matches": "2"}}}},
             "mapping: request.headers['X-A'] has equalTo and matches; give one"),
            ({"request": {"headers": {"X-A": {"contains": "1", "caseInsensitive": True}}}},
             "mapping: request.headers['X-A'].caseInsensitive is not supported; fakeserver reads "
             "equalTo (caseInsensitive), matches, contains, absent"),
            ({"request": {"queryParameters": {"q": {"absent": False}}}},
             "mapping: request.queryParameters['q'].absent must be true, not False"),
            ({"request": {"bodyPatterns": [{"contains": "a"}, {"matches": "b"}]}},
             "mapping: request.bodyPatterns[1]: a second pattern on the body as text is not "
             "supported"),
            ({"request": {"bodyPatterns": [{"equalToJson": "{"}]}},
             "mapping: request.bodyPatterns[0].equalToJson is not valid JSON: Expecting property "
             "name enclosed in double quotes: line 1 column 2 (char 1)"),
            ({"request": {"bodyPatterns": [{"equalToJson": {"$regex": "x"}}]}},
             "mapping: request.bodyPatterns[0].equalToJson: an object with the one key '$regex' "
             "is not supported (a fakeserver stub file reads it as a matcher)"),
            ({"request": {}, "response": {"fault": "EXPLODE"}},
             "mapping: response.fault 'EXPLODE' is not supported; fakeserver reads "
             "CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, MALFORMED_RESPONSE_CHUNK, "
             "RANDOM_DATA_THEN_CLOSE"),
            ({"request": {}, "response": {"fault": ["EMPTY_RESPONSE"]}},
             "mapping: response.fault ['EMPTY_RESPONSE'] is not supported; fakeserver reads "
             "CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, MALFORMED_RESPONSE_CHUNK, "
             "RANDOM_DATA_THEN_CLOSE"),
            ({"request": {}, "response": {"body": "a", "jsonBody": {}}},
             "mapping: response has body and jsonBody; give one"),
            ({"request": {}, "response": {"base64Body": "*"}},
             "mapping: response.base64Body is not valid base64: '*'"),
            ({"request": {}, "response": {"fixedDelayMilliseconds": "2000"}},
             "mapping: response.fixedDelayMilliseconds must be a number, not '2000'"),
            ({"request": {}, "priority": "1"}, "mapping: priority must be an integer, not '1'"),
            ({"request": {}, "scenarioName": 1}, "mapping: scenarioName must be a string, not 1"),
            ({"request": {}, "postServeActions": []},
             "mapping: postServeActions is not supported; fakeserver reads request, response, "
             "priority, scenarioName, requiredScenarioState, newScenarioState, name, id, uuid, "
             "persistent, metadata"),
            ({"mappings": [{"request": {}}, {"response": {}}]},
             "mappings[1]: request must be an object, not None"),
            ({"mappings": {}}, "mappings must be a list, not dict"),
            # What only fakeserver's checks catch is named as the stub file would name it.
            ({"request": {}, "response": {"status": 1000}},
             "mapping: response: status must be an int from 100 to 999, not 1000"),
            ({"request": {}, "requiredScenarioState": "Started"},
             "mapping: state= and new_state= are states of a scenario: name it with scenario="),
            ({"stubs": []}, "expected a list of stubs, or a WireMock mapping (an object with "
                            "\"request\") or {\"mappings\": [...]}; not an object without them"),
            (5, "expected a list of stubs, or a WireMock mapping (an object with \"request\") or "
                "{\"mappings\": [...]}; not int"),
        ]
        for document, message in cases:
            with self.subTest(message=message):
                self.assertEqual(self.refused(document), message)


class DirectoryTest(unittest.TestCase):
    def directory(self) -> str:
        path = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, path)
        return path

    def write(self, path: str, document: object) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            json.dump(document, file)

    def test_files_at_any_depth_in_order_and_all_or_none(self) -> None:
        root = self.directory()
        self.write(os.path.join(root, "b.json"), {"request": {"url": "/x"},
                                                  "response": {"body": "b"}})
        self.write(os.path.join(root, "a", "z.json"), {"mappings": [
            {"request": {"url": "/x"}, "response": {"body": "a/z"}}]})
        self.write(os.path.join(root, "notes.txt"), "not json")
        served = Served(self, root)  # sorted: a/z.json, then b.json, the newest winning
        self.assertEqual(served.body("/x"), b"b")
        stubs = StubApp()
        self.write(os.path.join(root, "c.json"), {"request": {"url": 5}})
        with self.assertRaises(ValueError) as caught:
            stubs.load(root)
        self.assertEqual(str(caught.exception), f"{os.path.join(root, 'c.json')}: mapping: "
                                                f"request.url must be a string, not 5")
        self.assertEqual(stubs.stubs, [])  # b.json was fine, but nothing is declared

    def test_a_directory_of_stub_files(self) -> None:
        root = self.directory()
        self.write(os.path.join(root, "ours.json"), [{"request": {"path": "/ours"},
                                                      "response": {"text": "ours"}}])
        served = Served(self, root)
        self.assertEqual(served.body("/ours"), b"ours")

    def test_an_empty_directory(self) -> None:
        root = self.directory()
        with self.assertRaises(ValueError) as caught:
            StubApp.from_file(root)
        self.assertEqual(str(caught.exception), f"{root}: no .json stub or mapping file in it")


if __name__ == "__main__":
    unittest.main()
