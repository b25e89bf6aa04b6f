"""The CA and its leaves as OpenSSL sees them: decoded, loaded, and in real handshakes.

Every handshake here verifies with ``ssl.VERIFY_X509_STRICT`` on, as Python
3.13 does by default, so that the checks it adds run on every version.
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import stat
import tempfile
import threading
import unittest

from fakeserver.proxy import _der as der
from fakeserver.proxy._authority import ProxyAuthority
from fakeserver.proxy._certs import (
    _AUTHORITY_KEY_IDENTIFIER, _SUBJECT_ALT_NAME, CertificateAuthority, _extension, _name,
    _subject_alt_name, pem, private_key_pem,
)
from fakeserver.proxy._ecdsa import KeyPair
from tests.proxy.support import private_temp_dir, proxy_files

UTC = datetime.timezone.utc


def strict_client(ca_der: bytes) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(ca_der))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str) -> str | None:
    """Run a TLS handshake between the two contexts over a socket pair; the ALPN protocol chosen.

    Raises the client's ``ssl.SSLError`` if it refuses the server's certificate.
    """
    server_end, client_end = socket.socketpair()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            with server.wrap_socket(server_end, server_side=True) as tls:
                tls.sendall(b"ok")
        except (OSError, ValueError) as error:
            failures.append(error)
            server_end.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client.wrap_socket(client_end, server_hostname=server_hostname) as tls:
            assert tls.recv(2) == b"ok"
            return tls.selected_alpn_protocol()
    finally:
        client_end.close()
        thread.join()


class Files:
    """A private temporary directory for a test's PEM files."""

    def __init__(self, test: unittest.TestCase) -> None:
        self._directory = tempfile.TemporaryDirectory()
        test.addCleanup(self._directory.cleanup)

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self._directory.name, name)
        with open(path, "w", encoding="ascii") as file:
            file.write(text)
        return path

    def server_context(self, leaf: bytes, key: KeyPair) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.write("leaf.pem", pem("CERTIFICATE", leaf)),
                                self.write("leaf.key", private_key_pem(key)))
        return context


class CertificateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.now = datetime.datetime.now(UTC).replace(microsecond=0)
        cls.ca = CertificateAuthority(now=cls.now)
        cls.key = KeyPair.generate()

    def decoded(self, certificate: bytes) -> dict:
        path = Files(self).write("cert.pem", pem("CERTIFICATE", certificate))
        return ssl._ssl._test_decode_cert(path)  # type: ignore[attr-defined]

    def test_pem_is_the_stdlibs(self) -> None:
        leaf = self.ca.issue("api.github.com", self.key)
        self.assertEqual(pem("CERTIFICATE", leaf), ssl.DER_cert_to_PEM_cert(leaf))
        self.assertEqual(ssl.PEM_cert_to_DER_cert(pem("CERTIFICATE", leaf)), leaf)

    def test_leaf_fields(self) -> None:
        fields = self.decoded(self.ca.issue("api.github.com", self.key))
        self.assertEqual(fields["subject"], ((("organizationName", "fakeserver"),),
                                             (("commonName", "api.github.com"),)))
        self.assertEqual(fields["issuer"], self.decoded(self.ca.certificate)["subject"])
        self.assertEqual(fields["subjectAltName"], (("DNS", "api.github.com"),))
        self.assertEqual(fields["version"], 3)

    def test_validity_from_an_hour_ago_for_a_day(self) -> None:
        for certificate in (self.ca.certificate, self.ca.issue("a.example", self.key)):
            fields = self.decoded(certificate)
            self.assertEqual(ssl.cert_time_to_seconds(fields["notBefore"]),
                             (self.now - datetime.timedelta(hours=1)).timestamp())
            self.assertEqual(ssl.cert_time_to_seconds(fields["notAfter"]),
                             (self.now + datetime.timedelta(days=1)).timestamp())

    def test_ip_literals_get_ip_address_names(self) -> None:
        self.assertEqual(self.decoded(self.ca.issue("10.1.2.3", self.key))["subjectAltName"],
                         (("IP Address", "10.1.2.3"),))
        self.assertEqual(self.decoded(self.ca.issue("2001:db8::1", self.key))["subjectAltName"],
                         (("IP Address", "2001:DB8:0:0:0:0:0:1"),))

    def test_a_name_too_long_for_a_common_name_has_its_san_only(self) -> None:
        host = "a" * 60 + ".example"
        fields = self.decoded(self.ca.issue(host, self.key))
        self.assertEqual(fields["subject"], ((("organizationName", "fakeserver"),),))
        client = strict_client(self.ca.certificate)
        handshake(Files(self).server_context(self.ca.issue(host, self.key), self.key), client, host)

    def test_non_ascii_names_are_refused_with_their_idna_form(self) -> None:
        with self.assertRaisesRegex(ValueError, r"host 'bücher.example' is not ASCII; "
                                                r"give its IDNA form \('xn--bcher-kva.example'\)"):
            self.ca.issue("bücher.example", self.key)

    def test_each_ca_has_a_name_of_its_own(self) -> None:
        self.assertNotEqual(CertificateAuthority().name, self.ca.name)


class HandshakeTest(unittest.TestCase):
    """Real handshakes, STRICT verification on."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.ca = CertificateAuthority()
        cls.key = KeyPair.generate()

    def setUp(self) -> None:
        self.files = Files(self)
        self.client = strict_client(self.ca.certificate)

    def test_dns_ipv4_and_ipv6_names(self) -> None:
        for host in ("api.github.com", "127.0.0.1", "::1"):
            with self.subTest(host=host):
                server = self.files.server_context(self.ca.issue(host, self.key), self.key)
                handshake(server, self.client, host)

    def test_another_hosts_certificate_is_refused(self) -> None:
        server = self.files.server_context(self.ca.issue("api.github.com", self.key), self.key)
        with self.assertRaisesRegex(ssl.SSLCertVerificationError, "Hostname mismatch"):
            handshake(server, self.client, "pypi.org")

    def test_another_cas_leaf_is_refused(self) -> None:
        other = CertificateAuthority()
        server = self.files.server_context(other.issue("api.github.com", self.key), self.key)
        with self.assertRaisesRegex(ssl.SSLCertVerificationError, "unable to get local issuer"):
            handshake(server, self.client, "api.github.com")

    @unittest.skipIf(ssl.OPENSSL_VERSION_INFO < (3, 0), "OpenSSL checks this since 3.0")
    def test_strict_mode_needs_the_authority_key_identifier(self) -> None:
        # The negative control: a leaf with a SAN only passes unless STRICT,
        # and passes STRICT once it names its CA's key.
        san = _extension(_SUBJECT_ALT_NAME, _subject_alt_name("api.github.com"))
        aki = _extension(_AUTHORITY_KEY_IDENTIFIER,
                         der.sequence(der.context(0, self.ca._key_id, constructed=False)))
        subject = _name("fakeserver", "api.github.com")
        without = self.files.server_context(self.ca._sign(1, subject, self.key, [san]), self.key)
        with self.assertRaisesRegex(ssl.SSLCertVerificationError, "(?i)authority key identifier"):
            handshake(without, self.client, "api.github.com")
        lenient = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(self.ca.certificate))
        lenient.verify_flags &= ~ssl.VERIFY_X509_STRICT
        handshake(without, lenient, "api.github.com")
        with_aki = self.files.server_context(self.ca._sign(2, subject, self.key, [san, aki]),
                                             self.key)
        handshake(with_aki, self.client, "api.github.com")


class AuthorityTest(unittest.TestCase):
    def setUp(self) -> None:
        self.authority = ProxyAuthority()
        self.addCleanup(self.authority.close)

    def test_the_ca_file_holds_the_certificate_only(self) -> None:
        with open(self.authority.ca_file, encoding="ascii") as file:
            text = file.read()
        self.assertEqual(text.count("-----BEGIN CERTIFICATE-----"), 1)
        self.assertNotIn("PRIVATE KEY", text)
        self.assertEqual(stat.S_IMODE(os.stat(self.authority.ca_file).st_mode), 0o644)

    def test_the_leaf_key_lives_in_a_private_directory(self) -> None:
        self.authority.context_for("api.github.com")
        directory = self.authority._private_dir
        self.assertEqual(stat.S_IMODE(os.stat(directory).st_mode), 0o700)
        key_file = os.path.join(directory, "leaf.key")
        self.assertEqual(stat.S_IMODE(os.stat(key_file).st_mode), 0o600)

    def test_contexts_are_cached_per_host_and_offer_http_1_1_only(self) -> None:
        context = self.authority.context_for("api.github.com")
        self.assertIs(self.authority.context_for("api.github.com"), context)
        self.assertIsNot(self.authority.context_for("pypi.org"), context)
        client = ssl.create_default_context(cafile=self.authority.ca_file)
        client.verify_flags |= ssl.VERIFY_X509_STRICT
        client.set_alpn_protocols(["h2", "http/1.1"])
        self.assertEqual(handshake(context, client, "api.github.com"), "http/1.1")

    def test_close_removes_every_file_and_the_ca(self) -> None:
        ca_file = self.authority.ca_file
        self.authority.context_for("api.github.com")
        directory = self.authority._private_dir
        self.authority.close()
        self.authority.close()  # idempotent
        self.assertFalse(os.path.exists(ca_file))
        self.assertFalse(os.path.exists(directory))
        message = ("the proxy was stopped and its CA removed; "
                   "start a new FakeProxy to serve again")
        with self.assertRaisesRegex(RuntimeError, message):
            self.authority.ca_file
        with self.assertRaisesRegex(RuntimeError, message):
            self.authority.context_for("api.github.com")

    def test_nothing_is_written_before_first_use(self) -> None:
        temporary = private_temp_dir(self)
        authority = ProxyAuthority()
        self.assertEqual(proxy_files(temporary), set())
        authority.close()
        self.assertEqual(proxy_files(temporary), set())


if __name__ == "__main__":
    unittest.main()
