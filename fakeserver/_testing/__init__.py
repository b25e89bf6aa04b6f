"""The test-facing layer: assertions and their reports, shared by unittest and pytest.

Each assertion has two faces that word their failures alike: a unittest
mixin (camelCase, ``self.fail``) and a handle the pytest fixtures give
(snake_case, ``AssertionError``). Both call the same checks, which take
what was recorded and return the report, and both say in its last line
which of their own settings lists everything. The fakes of their own
(``fakeserver.smtp``, ``fakeserver.pypi``) build their faces on the same
bases. Servers are started, reset and stopped through their objects; this
layer must not know sockets.

Contents:

- ``checks``: the request checks (``requested``, ``not_requested``, ...),
  and the report of an app's exceptions and unmatched requests.
- ``base``: what every face shares (:class:`MixinBase` for the mixins,
  :class:`HandleBase` for the handles).
- ``misuse``: the mistakes in writing a test class that the mixins refuse
  with what to write instead (a mixin after ``unittest.TestCase``, a
  missing ``super()`` call, ``cls.stub()``).
- ``served``: :class:`ServedApp`, what a test sees of an app served over
  HTTP (journal, stubs, server-side problems), beside the assertions; its
  base :class:`ServedRequests` serves the forward proxy's faces too.
- ``testcase``: :class:`ServerTestCase`, the unittest face.
- ``handle``: :class:`FakeServer`, the pytest face.
- ``cassette``: each test's recording of a real service, replayed offline;
  :class:`Cassettes` holds the settings ``ServerTestCase`` inherits, and
  the ``fake_upstream`` fixture uses :class:`Cassette` alike.
"""
