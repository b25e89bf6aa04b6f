"""``fakeserver/stubs.schema.json``: the stub-file format's JSON Schema, and the loader agreeing.

The keys are compared with the loader's own tables, so that a key added to
one and not the other fails here; the verdicts (valid or not) of the
schema, validated by ``jsonschema`` (a test-only extra), and of
``StubApp.from_file`` are compared entry by entry.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import tempfile
import unittest
import urllib.request
from typing import Any

from fakeserver import AppRunner, Recorder, StubApp
from fakeserver._matching.files import _KEYS as FILE_KEYS
from fakeserver.stubs.files import _ENTRY_KEYS, _MATCHERS, _REQUEST_KEYS, _RESPONSE_KEYS
from fakeserver.stubs.replies import FAULTS
from tests.support import echo_app, import_extra, json_file, multipart

SCHEMA = json.loads(importlib.resources.files("fakeserver").joinpath("stubs.schema.json")
                    .read_text(encoding="utf-8"))

#: Entries both the schema and the loader accept.
VALID: list[dict[str, Any]] = [
    {"request": {}},
    {"request": {"method": "GET", "path": "/items/{id}",
                 "query": {"page": "2", "tag": ["a", {"$regex": "^b"}]},
                 "headers": {"X-Id": {"$regex": "^[0-9]+$"}}},
     "response": {"status": 201, "json": {"ok": True}, "delay": 0.01,
                  "headers": {"Set-Cookie": ["a=1", "b=2"], "X-One": "1"}}},
    {"request": {"path": "https://api.example.com/v1", "target": "/v1?x=1",
                 "host": "api.example.com", "cookies": {"s": {"$any": True}},
                 "auth": ["user", {"$contains": "pa"}]},
     "response": {"text": "cut short", "fault": "truncate"}},
    {"request": {"path": {"$regex": "^/a"}, "body_base64": "AAEC", "match_headers": ["x-a"],
                 "headers": {"X-A": "1", "X-B": "2"}},
     "responses": [{"status": 503}, {"body_base64": "YQ=="}], "times": 2, "priority": -1},
    {"request": {"json": {"items": [{"$json_contains": {"sku": "A1"}}], "$set": {"a": 1},
                          "n": {"$one_of": [1, {"$regex": "x"}]}, "none": None}},
     "scenario": "cart", "state": "Started", "new_state": "has-item"},
    {"request": {"exact": True, "method": "POST", "path": "/up",
                 "files": {"doc": [{"filename": "a.txt", "content_base64": "YQ==",
                                    "content_type": "text/plain"}],
                           "img": "i.png", "none": {"$absent": True}},
                 "form": {"a": "<redacted>"}},
     "response": {"body": "ok"}},
    {"request": {"body": {"$contains": "x"}, "auth": {"$any": True}, "target": {"$absent": True}},
     "scenario": "s"},
]

#: Entries each breaking one rule, with what the loader's error says of it.
INVALID: list[tuple[str, Any]] = [
    ("expected an object, not int", 5),
    ("'request' must be an object", {"response": {}}),
    ("unknown field 'verb'", {"request": {}, "verb": 1}),
    ("request: unknown field 'verb'", {"request": {"verb": "GET"}}),
    ("response: unknown field 'reason'", {"request": {}, "response": {"reason": "OK"}}),
    ("give 'response' or 'responses', not both",
     {"request": {}, "response": {}, "responses": [{}]}),
    ("'responses' must be a non-empty list", {"request": {}, "responses": []}),
    ("responses[0] must be an object", {"request": {}, "responses": [[]]}),
    ("times must be at least 1", {"request": {}, "times": 0}),
    ("times must be an integer", {"request": {}, "times": True}),
    ("priority must be an integer", {"request": {}, "priority": "1"}),
    ("name it with scenario=", {"request": {}, "state": "Started"}),
    ("name it with scenario=", {"request": {}, "new_state": "done"}),
    ("scenario must be a string", {"request": {}, "scenario": 1}),
    ("request.method must be a string", {"request": {"method": 5}}),
    ('request.path must start with "/"', {"request": {"path": "items"}}),
    ("request.path must be a string or a matcher", {"request": {"path": {"a": 1}}}),
    ("unknown matcher '$regexp'", {"request": {"headers": {"X": {"$regexp": "a"}}}}),
    ("$regex must be a string", {"request": {"path": {"$regex": 5}}}),
    ("$any must be true", {"request": {"query": {"a": {"$any": False}}}}),
    ("$one_of must be a non-empty list", {"request": {"body": {"$one_of": []}}}),
    ("$contains must be a string", {"request": {"json": {"a": {"$contains": 1}}}}),
    ("request.query['page'] must be a string, a matcher", {"request": {"query": {"page": 2}}}),
    ("request.form['a'] must be a string, a matcher", {"request": {"form": {"a": {"b": 1}}}}),
    ("request.headers['X'] must be a string, a matcher",
     {"request": {"headers": {"X": ["a", 1]}}}),
    ("request.cookies must be an object", {"request": {"cookies": ["a"]}}),
    ("request.match_headers must be a list", {"request": {"match_headers": "X"}}),
    ("give request.body or request.body_base64, not both",
     {"request": {"body": "a", "body_base64": "YQ=="}}),
    ("request.body_base64 is not valid base64", {"request": {"body_base64": "not base64!"}}),
    ("request.body_base64 is not valid base64", {"request": {"body_base64": "YQ="}}),
    ("request.exact must be true or false", {"request": {"exact": 1}}),
    ("request.auth must be a list of user and password", {"request": {"auth": ["user"]}}),
    ("unknown key 'name'", {"request": {"files": {"f": {"name": "a"}}}}),
    ("give content or content_base64, not both",
     {"request": {"files": {"f": {"content": "a", "content_base64": "YQ=="}}}}),
    ("files['f'] must be a filename", {"request": {"files": {"f": 5}}}),
    ("request.target must be a string or a matcher", {"request": {"target": 5}}),
    ("request.host must be a string or a matcher", {"request": {"host": 5}}),
    ("status must be an int from 100 to 999", {"request": {}, "response": {"status": 1000}}),
    ("response.status must be an integer", {"request": {}, "response": {"status": "200"}}),
    ("give at most one of body=, text= and json=",
     {"request": {}, "response": {"text": "a", "json": 1}}),
    ("give at most one of body=, text= and json=",
     {"request": {}, "response": {"body": "a", "body_base64": "YQ=="}}),
    ("give at most one of body=, text= and json=",
     {"request": {}, "response": {"body_base64": "YQ==", "text": "a"}}),
    ("response.body must be a string", {"request": {}, "response": {"body": 5}}),
    ("response.headers['X'] must be a string or a list of strings",
     {"request": {}, "response": {"headers": {"X": 3}}}),
    ("response.delay must be a number", {"request": {}, "response": {"delay": "1"}}),
    ("response.fault must be one of", {"request": {}, "response": {"fault": "explode"}}),
]

#: The rules only the loader checks, as the schema's description says.
LOADER_ONLY: list[tuple[str, Any]] = [
    ("invalid pattern '('", {"request": {"path": {"$regex": "("}}}),
    ("request.match_headers names 'B'",
     {"request": {"headers": {"A": "1"}, "match_headers": ["B"]}}),
]


class KeysTest(unittest.TestCase):
    """Every key the loader reads is in the schema, and no other."""

    def properties(self, definition: str) -> list[str]:
        return sorted(SCHEMA["$defs"][definition]["properties"])

    def test_entry_request_and_response_keys(self) -> None:
        self.assertEqual(self.properties("entry"), sorted(_ENTRY_KEYS))
        self.assertEqual(self.properties("request"), sorted(_REQUEST_KEYS))
        self.assertEqual(self.properties("response"), sorted(_RESPONSE_KEYS))

    def test_matchers_files_and_faults(self) -> None:
        names = SCHEMA["$defs"]["matcherName"]["propertyNames"]["enum"]
        self.assertEqual(names, list(_MATCHERS))
        self.assertEqual([option["required"] for option in SCHEMA["$defs"]["matcher"]["oneOf"]],
                         [[name] for name in _MATCHERS])
        file_keys = SCHEMA["$defs"]["file"]["anyOf"][1]["properties"]
        self.assertEqual(sorted(file_keys), sorted([*FILE_KEYS, "content_base64"]))
        self.assertEqual(SCHEMA["$defs"]["response"]["properties"]["fault"]["enum"], list(FAULTS))

    def test_draft_2020_12_without_an_id(self) -> None:
        self.assertEqual(SCHEMA["$schema"], "https://json-schema.org/draft/2020-12/schema")
        self.assertNotIn("$id", SCHEMA)


class AgreementTest(unittest.TestCase):
    """The schema and ``StubApp.from_file`` give every entry the same verdict."""

    def setUp(self) -> None:
        jsonschema = import_extra("jsonschema")
        jsonschema.Draft202012Validator.check_schema(SCHEMA)
        self.validator = jsonschema.Draft202012Validator(SCHEMA)

    def loader_error(self, document: Any) -> str | None:
        try:
            StubApp.from_file(json_file(self, document))
        except ValueError as error:
            return str(error)
        return None

    def test_valid_entries(self) -> None:
        for entry in VALID:
            with self.subTest(entry=entry):
                self.assertEqual(list(self.validator.iter_errors([entry])), [])
                self.assertIsNone(self.loader_error([entry]))
        self.assertTrue(self.validator.is_valid(VALID))

    def test_entries_breaking_one_rule(self) -> None:
        for message, entry in INVALID:
            with self.subTest(message=message, entry=entry):
                self.assertFalse(self.validator.is_valid([entry]))
                self.assertIn(message, self.loader_error([entry]) or "(accepted)")

    def test_rules_only_the_loader_checks(self) -> None:
        for message, entry in LOADER_ONLY:
            with self.subTest(message=message):
                self.assertTrue(self.validator.is_valid([entry]))
                self.assertIn(message, self.loader_error([entry]) or "(accepted)")

    def test_what_a_snapshot_writes(self) -> None:
        recorder = Recorder(echo_app)
        with AppRunner(recorder) as runner:
            body, form_type = multipart({"note": "x"}, {"f": ("a.bin", "application/x", b"\0")})
            for data, content_type in ((None, "text/plain"), (b'{"a": [1]}', "application/json"),
                                       (b"a=1&a=2", "application/x-www-form-urlencoded"),
                                       (body, form_type),
                                       (b"\xff\x00", "application/octet-stream")):
                request = urllib.request.Request(runner.url + "/x?q=1", data,
                                                 {"Content-Type": content_type})
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
        handle, path = tempfile.mkstemp(suffix=".json")
        os.close(handle)
        self.addCleanup(os.unlink, path)
        self.assertEqual(recorder.save_stubs(path, match_headers=["Content-Type"]), 5)
        with open(path, encoding="utf-8") as file:
            snapshot = json.load(file)
        self.assertEqual(list(self.validator.iter_errors(snapshot)), [])
        self.assertEqual(len(StubApp.from_file(path).stubs), 5)


if __name__ == "__main__":
    unittest.main()
