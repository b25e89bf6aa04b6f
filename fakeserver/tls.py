"""TLS for fakeserver's servers: a bundled test CA, and the contexts that use it.

Testing an HTTPS (or SMTPS) client should not start with writing a
certificate. This module owns the certificates bundled in
``fakeserver/certs`` (made by ``tools/make_certs.sh``): a test CA, and a
certificate for ``localhost``, ``127.0.0.1`` and ``::1`` signed by it. The
server's private key ships with the package, so it is no secret: trust
:data:`CA_FILE` in tests only. The CA's own key was thrown away and its name
constraints allow only those loopback names, so no other certificate will
ever chain to it.

Servers call :func:`start_tls` in a connection's thread, either on a fresh
connection (implicit TLS, as ``AppRunner(tls=True)`` does) or after a
plaintext phase (STARTTLS). It knows nothing of the protocol spoken inside.
"""

from __future__ import annotations

import logging
import os
import ssl

from ._serving import Connection

__all__ = ["CA_FILE", "CERT_FILE", "KEY_FILE", "client_ssl_context", "server_ssl_context",
           "start_tls"]

logger = logging.getLogger("fakeserver")

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


def start_tls(connection: Connection, context: ssl.SSLContext) -> bool:
    """Turn *connection* into a server-side TLS connection; True once the handshake is done.

    Blocks until the handshake ends; call it from the connection's thread,
    so that a slow client delays no one else, and while the connection is
    idle, so that ``stop()`` closes it at once. Works on a fresh connection
    and after a plaintext phase (STARTTLS): the caller then must discard
    whatever it read ahead from the plaintext socket. Afterwards
    ``connection.sock`` is an :class:`ssl.SSLSocket`.

    Returns False when the handshake fails (the client does not trust the
    certificate, or does not speak TLS at all), which is logged as a warning
    unless the server is stopping: the caller should then end the connection.
    """
    try:
        sock = connection.replace_socket(lambda plain: context.wrap_socket(
            plain, server_side=True, do_handshake_on_connect=False))
        if sock is None:
            return False
        sock.do_handshake()
    except OSError as error:  # ssl.SSLError included
        if not connection.closing:
            logger.warning("TLS handshake with %s failed: %s", connection.address, error)
        return False
    return True
