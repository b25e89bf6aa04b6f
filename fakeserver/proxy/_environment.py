"""The environment variables that send a client process through the proxy and make it trust it.

Owns the list of variables and what each client reads: ``curl`` takes
``http_proxy`` in lower case only, others either case; ``requests`` trusts
``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` and ignores ``SSL_CERT_FILE``,
which ``httpx``, ``urllib`` and OpenSSL itself read; ``pip`` reads
``PIP_CERT``, ``git`` ``GIT_SSL_CAINFO``, Node.js ``NODE_EXTRA_CA_CERTS``.
urllib, requests, httpx and curl send even ``localhost`` to a proxy unless
``no_proxy`` names it, so loopback is listed there (unless the proxy fakes
it), leaving local test servers reachable directly. Knows nothing of the
proxy itself.
"""

from __future__ import annotations

import contextlib
import os
from typing import Collection, Iterator, Mapping

__all__ = ["client_variables", "patched_environ"]

_PROXY = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
_NO_PROXY = ("no_proxy", "NO_PROXY")
_TRUST = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT", "GIT_SSL_CAINFO",
          "NODE_EXTRA_CA_CERTS")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def client_variables(proxy_url: str, ca_file: str, routed: Collection[str]) -> dict[str, str]:
    """The variables pointing clients at *proxy_url* and *ca_file*.

    ``no_proxy`` lists the loopback names not in *routed*. A ``no_proxy``
    of the caller's own is replaced, not extended: a host it named would
    otherwise reach the real network.
    """
    variables = dict.fromkeys(_PROXY, proxy_url)
    variables.update(dict.fromkeys(_NO_PROXY, ",".join(name for name in _LOOPBACK
                                                       if name not in routed)))
    variables.update(dict.fromkeys(_TRUST, ca_file))
    return variables


@contextlib.contextmanager
def patched_environ(variables: Mapping[str, str]) -> Iterator[None]:
    """Set *variables* in ``os.environ`` inside the block; restore each one's old state after.

    Not thread-safe, as ``os.environ`` is not: patch from the test's thread.
    """
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
