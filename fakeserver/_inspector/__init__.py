"""The inspector: a live page of the traffic at ``/__fakeserver__/``, and the JSON behind it.

``python -m fakeserver`` serves it on every HTTP server it runs (and beside
``--smtp``); ``AppRunner(app, inspector=True)`` and ``ServerTestCase`` with
``inspector = True`` serve it in tests. One module per concern:

- ``app``: :class:`InspectorApp`, the WSGI middleware in front of a
  ``Recorder``: the routes, the headers that keep network bytes inert in a
  browser, reporting each finished exchange, and the journal downloaded as
  a stub file (written by ``_journal.snapshot``, as ``Recorder.save_stubs``).
- ``hosts``: the Host check against DNS rebinding, and what is loopback.
- ``events``: change notices, the Server-Sent Events stream, the diff a
  stream or a polling page is sent.
- ``exchanges``, ``mail``, ``uploads``: HTTP exchanges, received mail (and
  its numbered, bounded journal) and the package index as JSON.
- ``bodies``: what of a body is shown and how it goes into JSON, in
  bounded memory however large it is.
- ``scenarios``: ``/__fakeserver__/scenarios``, reading, moving and
  resetting the scenarios of the stubs served.
- ``static/``: the page itself (HTML, CSS, JavaScript), package data
  served by the inspector: no CDN, no build step.
"""
