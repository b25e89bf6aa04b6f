"""The journal: what went over the wire, kept for a test to inspect afterwards.

- :class:`~fakeserver.Recorder`: WSGI middleware journaling every exchange
  with the app it wraps, thread-safely, in arrival order; the app finds the
  record of its request with ``record_request``.
- :class:`~fakeserver.RecordedRequest` and
  :class:`~fakeserver.RecordedResponse`: one exchange as the app received
  and answered it, bodies spooled to a temporary file when large.
- ``parse_form`` and :class:`~fakeserver.UploadedFile`: the fields and files
  of an urlencoded or multipart body, for the records and the package index
  alike.
- ``snapshot``: the journal written as a stub file that replays it
  (:meth:`Recorder.save_stubs`), with ``redaction`` keeping secrets out of
  it, and ``bodies``, the one rule for a body in JSON (text, or base64).

It knows nothing of servers, sockets or unittest.
"""
