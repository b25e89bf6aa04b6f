"""Upstreams: forwarding requests to a real service, for proxying and recording.

Contents:

- ``client``: :class:`UpstreamConnection`, a lean HTTP/1.1 client
  connection (one request at a time, kept alive) and its :class:`Response`.
- ``pool``: :class:`Origin` (scheme, host, port) and :class:`ConnectionPool`,
  kept-alive connections per origin, thread-safe.
- ``forwarding``: :class:`Forwarder`, which sends one WSGI request to any
  origin and relays the answer, both bodies streamed; the upstream's
  failures become ``502`` and ``504`` answers.
- ``proxy``: :class:`~fakeserver.ProxyApp`, a WSGI app forwarding every
  request to one upstream, rewriting the ``Location`` headers that point
  back at it.

Nothing here knows stubs or unittest: a ``Stub`` answers by proxying
through a ``ProxyApp``, the forward proxy's spy mode through a
``Forwarder`` (any origin, per request), and the ``Recorder`` wrapped
around either journals what went over the wire like any other app's
exchanges (the forwarder only leaves an upstream's failure on the
exchange's record).
"""
