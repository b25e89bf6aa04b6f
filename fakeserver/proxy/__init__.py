"""A forward proxy that fakes any host, HTTPS included, for clients in any process.

Code that takes no base URL (an SDK with a fixed host, ``pip``, ``git``,
``curl`` in a script, a subprocess) still honours a proxy and a CA bundle
from its environment. :class:`FakeProxy` is that proxy: it answers for the
hosts you route, minting a certificate for each one from a CA made at run
time, and journals every exchange with its real URL.

Contents:

- :class:`FakeProxy` (``server``): the proxy's server thread, its routes,
  journal and ``env()``. Under it: ``_routing`` (host to app, the 502 for
  unrouted hosts, and spy mode through the forwarding of ``ProxyApp``),
  ``_environment`` (the clients' variables), ``_stubfile`` (stubs with
  full URLs from JSON; ``save_stubs`` writes them with the snapshot
  writer), ``_urls`` (host and URL spelling).
- Certificates in pure Python: ``_der`` (ASN.1 DER), ``_ecdsa`` (P-256,
  RFC 6979 signatures), ``_certs`` (the CA and its leaves) and
  ``_authority`` (the CA file, a TLS context per host, their removal).
- :class:`FakeProxyTestCase` (``testcase``): the unittest mixin; its checks
  (``_checks``) word failures with whole URLs and are shared with
  ``FakeProxyHandle`` (``handle``), what the ``fake_proxy`` pytest fixture
  gives.

Example::

    with FakeProxy() as proxy:
        proxy.stub("GET", "https://api.github.com/user").respond(json={"login": "ann"})
        subprocess.run(["gh", "api", "user"], env=proxy.env(), check=True)
        assert proxy.requests[0].url == "https://api.github.com/user"
"""

from .handle import FakeProxyHandle
from .server import FakeProxy
from .testcase import FakeProxyTestCase

__all__ = [
    "FakeProxy",
    "FakeProxyHandle",
    "FakeProxyTestCase",
]
