"""TLS for fakeserver's servers: a bundled test CA, and the contexts that use it.

Testing an HTTPS (or SMTPS) client should not start with writing a
certificate. This module owns the certificates bundled in
``fakeserver/certs`` (made by ``tools/make_certs.sh``): a test CA, and a
certificate for ``localhost``, ``127.0.0.1`` and ``::1`` signed by it. The
server's private key ships with the package, so it is no secret: trust
:data:`CA_FILE` in tests only. The CA's own key was thrown away and its name
constraints allow only those loopback names, so no other certificate will
ever chain to it.

The servers wrap their connections with these contexts themselves (implicit
TLS, as ``AppRunner(tls=True)`` does, or STARTTLS in the SMTP server).
"""

from __future__ import annotations

import os
import ssl

__all__ = ["CA_FILE", "CERT_FILE", "KEY_FILE", "client_ssl_context", "server_ssl_context"]

_CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certs")

#: The test CA's certificate (PEM): what a client must trust to talk to a
#: fakeserver TLS server, e.g. ``requests.get(url, verify=CA_FILE)``.
CA_FILE: str = os.path.join(_CERTS, "ca.pem")
#: The server certificate (PEM) for ``localhost``, ``127.0.0.1`` and ``::1``.
CERT_FILE: str = os.path.join(_CERTS, "localhost.pem")
#: The private key of :data:`CERT_FILE` (PEM, unencrypted, public by design).
KEY_FILE: str = os.path.join(_CERTS, "localhost.key")


def client_ssl_context() -> ssl.SSLContext:
    """Return a new client context that trusts the test CA, and only it.

    Certificates and host names are checked as by
    :func:`ssl.create_default_context`, so a test exercises the same
    verification as production code. Each call returns a fresh context the
    caller may change.
    """
    return ssl.create_default_context(cafile=CA_FILE)


def server_ssl_context() -> ssl.SSLContext:
    """Return a new server context presenting the bundled ``localhost`` certificate.

    Clients are not asked for certificates. Each call returns a fresh context
    the caller may change (e.g. set ``sni_callback`` or require client
    certificates) before handing it to a server as ``ssl_context``.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT_FILE, KEY_FILE)
    return context
