"""X.509 certificates for the proxy: a short-lived CA, and a leaf per host it signs.

Owns what goes into each certificate (RFC 5280) and the PEM files OpenSSL
reads. Every field is chosen to pass OpenSSL's ``X509_STRICT`` checks,
which Python 3.13 turns on by default (``ssl.VERIFY_X509_STRICT``):

- the CA: basic constraints ``CA:TRUE`` marked critical, key usage
  (certificate and CRL signing), a subject key identifier;
- each leaf: an authority key identifier naming the CA's key, and a
  subject that is never empty (so its non-critical SAN is allowed);
- the signature algorithm ``ecdsa-with-SHA256`` with its parameters absent
  (RFC 5758 3.2), identical inside and outside the signed part.

The CA's key exists only in memory, in this object: nothing here writes a
file. Times are those of one run (the CA is valid from an hour ago, for
clocks that differ a little, for *lifetime* after now), and every leaf
shares the CA's validity. The DER comes from ``_der``, the keys and
signatures from ``_ecdsa``; nothing here knows files, sockets or TLS.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import secrets

from . import _der as der
from ._ecdsa import KeyPair, encode_point

__all__ = ["CertificateAuthority", "pem", "private_key_pem"]

_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_PRIME256V1 = "1.2.840.10045.3.1.7"
_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"
_ORGANIZATION = "2.5.4.10"
_COMMON_NAME = "2.5.4.3"
_SUBJECT_KEY_IDENTIFIER = "2.5.29.14"
_KEY_USAGE = "2.5.29.15"
_SUBJECT_ALT_NAME = "2.5.29.17"
_BASIC_CONSTRAINTS = "2.5.29.19"
_AUTHORITY_KEY_IDENTIFIER = "2.5.29.35"
_EXTENDED_KEY_USAGE = "2.5.29.37"
_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"

# keyUsage bits (RFC 5280 4.2.1.3)
_DIGITAL_SIGNATURE = 0
_KEY_CERT_SIGN = 5
_CRL_SIGN = 6

#: A common name may hold at most 64 characters (RFC 5280 appendix A).
_MAX_COMMON_NAME = 64
#: How long before "now" certificates start to be valid, for skewed clocks.
_BACKDATE = datetime.timedelta(hours=1)

_SIGNATURE_ALGORITHM = der.sequence(der.oid(_ECDSA_WITH_SHA256))


def pem(label: str, data: bytes) -> str:
    """*data* as a PEM block (RFC 7468): base64 in 64-character lines between markers."""
    encoded = base64.b64encode(data).decode("ascii")
    lines = [encoded[i:i + 64] for i in range(0, len(encoded), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def private_key_pem(key: KeyPair) -> str:
    """*key* as an ``EC PRIVATE KEY`` PEM block (SEC 1 / RFC 5915), as OpenSSL loads it."""
    structure = der.sequence(
        der.integer(1),
        der.octet_string(key.secret.to_bytes(32, "big")),
        der.context(0, der.oid(_PRIME256V1), constructed=True),
        der.context(1, der.bit_string(encode_point(key.public)), constructed=True),
    )
    return pem("EC PRIVATE KEY", structure)


def _name(organization: str, common_name: str | None) -> bytes:
    """A distinguished name: O, then CN when there is one (each its own RDN)."""
    attributes = [(_ORGANIZATION, organization)]
    if common_name is not None:
        attributes.append((_COMMON_NAME, common_name))
    return der.sequence(*(der.set_of(der.sequence(der.oid(kind), der.utf8_string(value)))
                          for kind, value in attributes))


def _public_key_info(key: KeyPair) -> bytes:
    """SubjectPublicKeyInfo for a P-256 key: the named curve, never explicit parameters."""
    algorithm = der.sequence(der.oid(_EC_PUBLIC_KEY), der.oid(_PRIME256V1))
    return der.sequence(algorithm, der.bit_string(encode_point(key.public)))


def _key_identifier(key: KeyPair) -> bytes:
    """The leftmost 160 bits of SHA-256 of the public key (RFC 7093 method 1)."""
    return hashlib.sha256(encode_point(key.public)).digest()[:20]


def _extension(identifier: str, value: bytes, *, critical: bool = False) -> bytes:
    """One extension; ``critical`` is written only when true (DER omits a DEFAULT FALSE)."""
    flag = der.boolean(True) if critical else b""
    return der.sequence(der.oid(identifier), flag, der.octet_string(value))


def _serial_number() -> int:
    """A random positive serial number of at most 20 octets (RFC 5280 4.1.2.2)."""
    return secrets.randbits(127) | 1 << 126


def _subject_alt_name(host: str) -> bytes:
    """A SAN naming *host*: an ``iPAddress`` for an IPv4 or IPv6 literal, else a ``dNSName``."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            encoded = host.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"host {host!r} is not ASCII; give its IDNA form "
                             f"({host.encode('idna').decode('ascii')!r})") from None
        return der.sequence(der.context(2, encoded, constructed=False))
    return der.sequence(der.context(7, address.packed, constructed=False))


class CertificateAuthority:
    """A CA made at construction: a new P-256 key and a self-signed certificate.

    :meth:`issue` signs a leaf for a host. The key stays in this object;
    only :attr:`certificate` (DER) is meant to leave it. Thread-safe: its
    state does not change after construction.
    """

    def __init__(self, lifetime: datetime.timedelta = datetime.timedelta(days=1),
                 now: datetime.datetime | None = None) -> None:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        self._key = KeyPair.generate()
        self.not_before = now - _BACKDATE
        self.not_after = now + lifetime
        self._key_id = _key_identifier(self._key)
        serial = _serial_number()
        # A name of its own, so that two proxies' CAs never pass for each other.
        self.name = _name("fakeserver", f"fakeserver proxy CA {serial:x}"[:_MAX_COMMON_NAME])
        #: The self-signed certificate, DER.
        self.certificate = self._sign(serial, self.name, self._key, [
            _extension(_BASIC_CONSTRAINTS, der.sequence(der.boolean(True), der.integer(0)),
                       critical=True),
            _extension(_KEY_USAGE, der.named_bits(_KEY_CERT_SIGN, _CRL_SIGN), critical=True),
            _extension(_SUBJECT_KEY_IDENTIFIER, der.octet_string(self._key_id)),
        ])

    def issue(self, host: str, key: KeyPair) -> bytes:
        """A leaf certificate (DER) for *host* (a DNS name or an IP literal) with *key*.

        Raises ValueError for a name a certificate cannot hold (not ASCII).
        """
        common_name = host if len(host) <= _MAX_COMMON_NAME else None
        return self._sign(_serial_number(), _name("fakeserver", common_name), key, [
            _extension(_BASIC_CONSTRAINTS, der.sequence(), critical=True),
            _extension(_KEY_USAGE, der.named_bits(_DIGITAL_SIGNATURE), critical=True),
            _extension(_EXTENDED_KEY_USAGE, der.sequence(der.oid(_SERVER_AUTH))),
            _extension(_SUBJECT_ALT_NAME, _subject_alt_name(host)),
            _extension(_SUBJECT_KEY_IDENTIFIER, der.octet_string(_key_identifier(key))),
            _extension(_AUTHORITY_KEY_IDENTIFIER,
                       der.sequence(der.context(0, self._key_id, constructed=False))),
        ])

    def _sign(self, serial: int, subject: bytes, key: KeyPair, extensions: list[bytes]) -> bytes:
        """A certificate for *subject* and *key* issued by this CA, DER (RFC 5280 4.1)."""
        tbs = der.sequence(
            der.context(0, der.integer(2), constructed=True),  # version 3
            der.integer(serial),
            _SIGNATURE_ALGORITHM,
            self.name,
            der.sequence(der.time(self.not_before), der.time(self.not_after)),
            subject,
            _public_key_info(key),
            der.context(3, der.sequence(*extensions), constructed=True),
        )
        r, s = self._key.sign(tbs)
        return der.sequence(tbs, _SIGNATURE_ALGORITHM,
                            der.bit_string(der.sequence(der.integer(r), der.integer(s))))

    def __repr__(self) -> str:
        return f"<CertificateAuthority valid until {self.not_after:%Y-%m-%d %H:%M} UTC>"
