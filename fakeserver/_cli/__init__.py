"""The command line (``python -m fakeserver``): its arguments, servers and printout.

``fakeserver/__main__.py`` runs it; the pieces are here:

- ``arguments``: the parser, its value types, loading ``--app``.
- ``servers``: the servers the options ask for, recorded (bounded by
  ``--journal-limit``) behind the inspector, and how they are announced.
- ``journal``: the readable block printed per exchange and per message.
- ``scenarios``: the endpoints reading, moving and resetting the scenarios
  of the stubs served, under ``/__fakeserver__/scenarios`` (routed there by
  the inspector).
- ``printing``: escaping what reaches the terminal, and :class:`Output`,
  which prints and appends to the ``--journal`` file.

The live page and the JSON endpoints are the inspector's
(``fakeserver/_inspector/``), which tests can serve too.
"""
