"""The command line's renderings and control endpoint (``python -m fakeserver``).

Argument parsing and the choice of server are ``fakeserver/__main__.py``'s;
this package holds what it shows and keeps of each exchange:

- ``JournalApp``: middleware serving the running server's journal at
  ``/__fakeserver__/requests`` (``DELETE`` clears it) and reporting each
  finished exchange.
- ``format_exchange`` and ``format_message``: a readable block per HTTP
  exchange or mail message, for the terminal.
- ``exchange_json`` and ``message_json``: the same as JSON objects, for the
  ``--journal`` file and the endpoint.
"""
