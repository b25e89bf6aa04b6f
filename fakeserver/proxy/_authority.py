"""The proxy's trust anchor on disk: its CA file, and a TLS server context per faked host.

Owns the lifetime of what the certificates need outside memory. The CA is
made at first use (a client asks for ``ca_file``, or a tunnel opens), its
certificate written to a temporary file that clients are pointed at. Each
host's leaf is minted once and loaded into an ``ssl.SSLContext`` that is
kept for the next tunnel to that host. ``SSLContext.load_cert_chain`` reads
files only, so the leaves' one key and each new certificate pass through a
private temporary directory (mode 0700). :meth:`close` removes both the
file and the directory; so does the interpreter's exit, for a proxy never
stopped. The CA's key is never written anywhere.
"""

from __future__ import annotations

import datetime
import os
import shutil
import ssl
import tempfile
import threading
import weakref

from ._certs import CertificateAuthority, pem, private_key_pem
from ._ecdsa import KeyPair

__all__ = ["ProxyAuthority"]


class ProxyAuthority:
    """A CA made at first use, and a cached server context per host. Thread-safe.

    You get one as ``FakeProxy``'s; a test never needs to build one.
    """

    def __init__(self, lifetime: datetime.timedelta = datetime.timedelta(days=1)) -> None:
        self._lifetime = lifetime
        self._lock = threading.Lock()
        self._ca: CertificateAuthority | None = None
        # One key for every leaf: minting a leaf is then one signature, not a key
        # generation too, and the key file is written once.
        self._leaf_key: KeyPair | None = None
        self._ca_file = ""
        self._private_dir = ""
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._closed = False
        self._remove_files: weakref.finalize | None = None

    @property
    def ca_file(self) -> str:
        """The path of the CA certificate (PEM) that clients must trust; made on first use.

        Raises RuntimeError once :meth:`close` has removed it.
        """
        with self._lock:
            self._create()
            return self._ca_file

    def context_for(self, host: str) -> ssl.SSLContext:
        """The server context presenting a certificate for *host*; minted on first use.

        Only ``http/1.1`` is offered by ALPN, so that clients which would
        prefer HTTP/2 speak what the server understands. Raises ValueError
        for a host no certificate can name, RuntimeError after :meth:`close`.
        """
        with self._lock:
            context = self._contexts.get(host)
            if context is not None:
                return context
            self._create()
            assert self._ca is not None and self._leaf_key is not None
            leaf = self._ca.issue(host, self._leaf_key)
            cert_file = os.path.join(self._private_dir, "leaf.pem")
            with open(cert_file, "w", encoding="ascii") as file:
                file.write(pem("CERTIFICATE", leaf))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.set_alpn_protocols(["http/1.1"])
            context.load_cert_chain(cert_file, os.path.join(self._private_dir, "leaf.key"))
            self._contexts[host] = context
            return context

    def close(self) -> None:
        """Remove the CA file and the private directory, and forget the CA; idempotent."""
        with self._lock:
            self._closed = True
            self._ca = self._leaf_key = None
            self._contexts.clear()
            if self._remove_files is not None:
                self._remove_files()

    def _create(self) -> None:
        """Make the CA and write the files, unless done already (call with the lock held)."""
        if self._closed:
            raise RuntimeError("the proxy was stopped and its CA removed; "
                               "start a new FakeProxy to serve again")
        if self._ca is not None:
            return
        ca = CertificateAuthority(self._lifetime)
        leaf_key = KeyPair.generate()
        private_dir = tempfile.mkdtemp(prefix="fakeserver-proxy-")  # mode 0700
        descriptor, ca_file = tempfile.mkstemp(prefix="fakeserver-proxy-ca-", suffix=".pem")
        self._remove_files = weakref.finalize(self, _remove, ca_file, private_dir)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(pem("CERTIFICATE", ca.certificate))
        os.chmod(ca_file, 0o644)  # a certificate is public: let any user's client read it
        key_file = os.path.join(private_dir, "leaf.key")
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                  encoding="ascii") as file:
            file.write(private_key_pem(leaf_key))
        self._ca, self._leaf_key = ca, leaf_key
        self._ca_file, self._private_dir = ca_file, private_dir

    def __repr__(self) -> str:
        state = "closed" if self._closed else "not made yet" if self._ca is None else self._ca_file
        return f"<ProxyAuthority {state}>"


def _remove(ca_file: str, private_dir: str) -> None:
    """Delete the files an authority wrote (a finalizer: it must not hold a reference to it)."""
    try:
        os.remove(ca_file)
    except FileNotFoundError:
        pass
    shutil.rmtree(private_dir, ignore_errors=True)
