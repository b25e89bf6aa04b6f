"""The HTTP server core: sockets and threads, the wire format, the WSGI gateway.

How a connection is served; each indent is a call made from the line above::

    ServerThread.run()                       the accept loop, one thread per server
        _accept()                            queues each Connection for a worker
    ServerThread._work()                     a worker thread, kept for the next connection
        AppRunner.handle_connection()        TLS? Connection.start_tls(); then
            serve_connection()               request after request, until either side closes
                read_head()                  a RequestHead; a ClientError -> send_error()
                _Exchange.run()
                    _environ()               split_target(), field_facts(); the environ,
                                             and wsgi.input: a BodyReader
                    app(environ, start_response)
                        start_response()     an AppHead: the app's head, checked and
                                             rendered by status_line(), field_lines()
                        write(), iteration   head due: Framing() decides, render_head();
                                             send; Framing.frame()
                    _drain() or linger()     keep the connection, or let the client close
        Connection.close()

Who owns what, and what it must not know:

- ``serving``: sockets and threads (bind, accept, workers, prompt stop, the
  TLS handshake); not the protocol spoken on a connection.
- ``wire``: the bytes of heads both ways (for the upstream client too: the
  request heads it sends, the field sections it reads), the checks every
  head passes, reason phrases, and :class:`ClientError`; not WSGI, not
  sockets' lifecycle.
- ``target``: the request target's forms, the Host they name, and the
  reading of an authority (``host:port``) the proxy shares; not the environ.
- ``environ``: what a request's header fields and its connection give the
  WSGI environ, and ``wsgi.errors``; not sockets, not bodies.
- ``body``: ``wsgi.input`` for each request framing; not responses.
- ``framing``: the response head around the app's fields, and how its body
  is delimited; not sockets, not the environ.
- ``gateway``: WSGI on one connection (PEP 3333); not accepting, not threads.
- ``runner``: :class:`AppRunner`, what it asks of an app beyond WSGI
  (:class:`Interruptible`), and the per-process server.
- ``memo``: :class:`Memo`, where the parts of messages that come again and
  again (field sections, request heads, app heads, Host values) are
  remembered with what was made of them; knows nothing of what it holds.
- ``watch``: an app's waits, cut short by ``stop()`` or by its client
  leaving (:class:`Interrupt`, :class:`ClientDisconnected`).

Nothing here knows unittest, pytest or recording. Everything is private:
``fakeserver`` re-exports what users need.
"""
