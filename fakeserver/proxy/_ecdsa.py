"""ECDSA on NIST P-256 with SHA-256, in pure Python: key pairs and deterministic signatures.

Owns the curve arithmetic (FIPS 186-4, D.1.2.3) and signing with the
nonce derived from the key and the message as RFC 6979 section 3.2
specifies, so that no random number is needed per signature and a
signature is reproducible (the RFC's test vectors pin it down). Keys are
plain integers and points ``(x, y)`` tuples; encodings beyond the point's
own (SEC 1 uncompressed) belong to the certificate builder.

Only multiples of the base point are ever needed (a public key, the ``R``
of a signature), so those use a table of ``j * 16**i * G`` made once per
process on first use (960 points, about ten milliseconds): a
multiplication is then at most 64 additions and no doublings, in Jacobian
coordinates with one inversion at the end. Verification is not needed
here: TLS clients do it.

Not constant-time: the keys live for one test run in one process, for
certificates that only that run's clients trust.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

__all__ = ["N", "KeyPair", "base_multiple", "encode_point", "sign"]

#: The field prime p, the base point G and its order n (the curve's a is -3;
#: its b is never needed to add points).
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

_WINDOW = 4  # bits of the scalar per table row
_ROWS = 256 // _WINDOW
_MASK = (1 << _WINDOW) - 1


# -- Jacobian arithmetic: (X:Y:Z) is the affine point (X/Z^2, Y/Z^3); Z = 0 is infinity ----

def _jacobian_double(x1: int, y1: int, z1: int) -> tuple[int, int, int]:
    """2 * (X:Y:Z) for a = -3 ("dbl-2001-b")."""
    if z1 == 0 or y1 == 0:
        return 1, 1, 0
    delta = z1 * z1 % P
    gamma = y1 * y1 % P
    beta = x1 * gamma % P
    alpha = 3 * (x1 - delta) * (x1 + delta) % P
    x3 = (alpha * alpha - 8 * beta) % P
    z3 = ((y1 + z1) * (y1 + z1) - gamma - delta) % P
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % P
    return x3, y3, z3


def _add_affine(x1: int, y1: int, z1: int, x2: int, y2: int) -> tuple[int, int, int]:
    """(X1:Y1:Z1) + (x2, y2), the second point affine ("madd-2007-bl")."""
    if z1 == 0:
        return x2, y2, 1
    z1z1 = z1 * z1 % P
    u2 = x2 * z1z1 % P
    s2 = y2 * z1 * z1z1 % P
    h = (u2 - x1) % P
    r = 2 * (s2 - y1) % P
    if h == 0:
        return _jacobian_double(x1, y1, z1) if r == 0 else (1, 1, 0)
    hh = h * h % P
    i = 4 * hh % P
    j = h * i % P
    v = x1 * i % P
    x3 = (r * r - j - 2 * v) % P
    y3 = (r * (v - x3) - 2 * y1 * j) % P
    z3 = ((z1 + h) * (z1 + h) - z1z1 - hh) % P
    return x3, y3, z3


def _to_affine(x: int, y: int, z: int) -> tuple[int, int]:
    return _scaled(x, y, pow(z, -1, P))


def _scaled(x: int, y: int, z_inverse: int) -> tuple[int, int]:
    z_inverse2 = z_inverse * z_inverse % P
    return x * z_inverse2 % P, y * z_inverse2 * z_inverse % P


def _all_to_affine(points: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Many points made affine with one inversion (Montgomery's trick)."""
    prefixes = []
    product = 1
    for _, _, z in points:
        prefixes.append(product)
        product = product * z % P
    inverse = pow(product, -1, P)  # of all the Zs together
    affine: list[tuple[int, int]] = [(0, 0)] * len(points)
    for index in range(len(points) - 1, -1, -1):
        x, y, z = points[index]
        affine[index] = _scaled(x, y, inverse * prefixes[index] % P)
        inverse = inverse * z % P
    return affine


_table: list[list[tuple[int, int]]] = []
_table_lock = threading.Lock()


def _base_table() -> list[list[tuple[int, int]]]:
    """Row i holds ``j * 16**i * G`` for j = 1..15 (index j - 1); made once, thread-safely."""
    if not _table:
        with _table_lock:
            if not _table:
                jacobian = []
                start = G
                for _ in range(_ROWS):
                    point = (start[0], start[1], 1)
                    jacobian.append(point)
                    for _ in range(_MASK - 1):
                        point = _add_affine(*point, *start)
                        jacobian.append(point)
                    start = _to_affine(*_add_affine(*point, *start))  # 16 * start
                flat = _all_to_affine(jacobian)
                _table.extend(flat[i:i + _MASK] for i in range(0, len(flat), _MASK))
    return _table


def base_multiple(k: int) -> tuple[int, int]:
    """``k * G`` for 0 < k < n, in affine coordinates."""
    if not 0 < k < N:
        raise ValueError("the scalar must be in [1, n - 1]")
    table = _base_table()
    x, y, z = 1, 1, 0
    row = 0
    while k:
        digit = k & _MASK
        if digit:
            px, py = table[row][digit - 1]
            x, y, z = _add_affine(x, y, z, px, py)
        k >>= _WINDOW
        row += 1
    return _to_affine(x, y, z)


def encode_point(point: tuple[int, int]) -> bytes:
    """The SEC 1 uncompressed encoding ``04 || x || y``: a public key's bytes."""
    return b"\x04" + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


@dataclass(frozen=True)
class KeyPair:
    """A P-256 private key and its public point; you get one from :meth:`generate`."""

    secret: int
    public: tuple[int, int]

    @classmethod
    def generate(cls) -> "KeyPair":
        """A new key pair from the operating system's randomness."""
        return cls.from_secret(secrets.randbelow(N - 1) + 1)

    @classmethod
    def from_secret(cls, secret: int) -> "KeyPair":
        """The key pair of a known private scalar (test vectors)."""
        return cls(secret, base_multiple(secret))

    def sign(self, message: bytes) -> tuple[int, int]:
        """The ECDSA signature ``(r, s)`` of SHA-256(*message*); see :func:`sign`."""
        return sign(self.secret, message)

    def __repr__(self) -> str:  # never print the secret
        return f"<KeyPair public x={self.public[0]:x}>"


def _hmac(key: bytes, *parts: bytes) -> bytes:
    return hmac.digest(key, b"".join(parts), "sha256")


def sign(secret: int, message: bytes) -> tuple[int, int]:
    """ECDSA-with-SHA256 of *message* under *secret*, with RFC 6979's deterministic nonce.

    For P-256 and SHA-256 the hash and the group order are both 256 bits,
    so the RFC's ``bits2int`` is a plain big-endian conversion. Thread-safe.
    """
    digest = hashlib.sha256(message).digest()
    z = int.from_bytes(digest, "big")
    secret_octets = secret.to_bytes(32, "big")
    hashed_octets = (z % N).to_bytes(32, "big")  # bits2octets(h1)
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = _hmac(k, v, b"\x00", secret_octets, hashed_octets)
    v = _hmac(k, v)
    k = _hmac(k, v, b"\x01", secret_octets, hashed_octets)
    v = _hmac(k, v)
    while True:
        v = _hmac(k, v)
        nonce = int.from_bytes(v, "big")
        if 0 < nonce < N:
            r = base_multiple(nonce)[0] % N
            s = pow(nonce, -1, N) * (z + r * secret) % N
            if r and s:
                return r, s
        k = _hmac(k, v, b"\x00")
        v = _hmac(k, v)
