"""P-256 and deterministic ECDSA against RFC 6979's published vectors and plain arithmetic."""

from __future__ import annotations

import hashlib
import unittest

from fakeserver.proxy import _ecdsa as ecdsa
from fakeserver.proxy._ecdsa import G, N, P, KeyPair

#: The curve's b, to check that points lie on y^2 = x^3 - 3x + b.
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B

# RFC 6979 appendix A.2.5: the P-256 key, and its signatures with SHA-256.
RFC_KEY = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
RFC_PUBLIC = (0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6,
              0x7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299)
RFC_SIGNATURES = {
    b"sample": (0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,
                0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8),
    b"test": (0xF1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367,
              0x019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083),
}


def reference_add(p: tuple[int, int] | None, q: tuple[int, int] | None) -> tuple[int, int] | None:
    """Textbook affine addition (None is infinity): the slow, obvious version."""
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % P == 0:
        return None
    if p == q:
        slope = (3 * p[0] * p[0] - 3) * pow(2 * p[1], -1, P) % P
    else:
        slope = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (slope * slope - p[0] - q[0]) % P
    return x, (slope * (p[0] - x) - p[1]) % P


def reference_multiple(k: int, point: tuple[int, int] = G) -> tuple[int, int] | None:
    """k * point by double-and-add."""
    result = None
    while k:
        if k & 1:
            result = reference_add(result, point)
        point = reference_add(point, point)  # type: ignore[assignment]
        k >>= 1
    return result


def on_curve(point: tuple[int, int]) -> bool:
    x, y = point
    return (y * y - (x * x * x - 3 * x + B)) % P == 0


class RFC6979Test(unittest.TestCase):
    def test_public_key(self) -> None:
        self.assertEqual(KeyPair.from_secret(RFC_KEY).public, RFC_PUBLIC)

    def test_signatures_of_sample_and_test(self) -> None:
        key = KeyPair.from_secret(RFC_KEY)
        for message, expected in RFC_SIGNATURES.items():
            with self.subTest(message=message):
                self.assertEqual(key.sign(message), expected)
                self.assertEqual(ecdsa.sign(RFC_KEY, message), expected)


class ArithmeticTest(unittest.TestCase):
    def test_base_multiples_match_double_and_add(self) -> None:
        scalars = [1, 2, 3, 15, 16, 17, 0xF0F0, 1 << 200, (1 << 256) % N, N - 1,
                   int.from_bytes(hashlib.sha256(b"a scalar").digest(), "big") % N]
        for k in scalars:
            with self.subTest(k=hex(k)):
                self.assertEqual(ecdsa.base_multiple(k), reference_multiple(k))

    def test_the_last_multiple_is_minus_g(self) -> None:
        self.assertEqual(ecdsa.base_multiple(N - 1), (G[0], P - G[1]))
        self.assertIsNone(reference_add(ecdsa.base_multiple(N - 1), G))

    def test_scalars_outside_the_group_are_refused(self) -> None:
        for k in (0, N, -1):
            with self.subTest(k=k), self.assertRaisesRegex(ValueError, r"\[1, n - 1\]"):
                ecdsa.base_multiple(k)

    def test_generated_keys_lie_on_the_curve(self) -> None:
        for _ in range(5):
            key = KeyPair.generate()
            self.assertTrue(0 < key.secret < N)
            self.assertTrue(on_curve(key.public))
            self.assertEqual(key.public, reference_multiple(key.secret))

    def test_signatures_verify(self) -> None:
        key = KeyPair.generate()
        message = b"to be signed"
        r, s = key.sign(message)
        z = int.from_bytes(hashlib.sha256(message).digest(), "big")
        w = pow(s, -1, N)
        point = reference_add(reference_multiple(z * w % N), reference_multiple(r * w % N, key.public))
        assert point is not None
        self.assertEqual(point[0] % N, r)
        self.assertEqual(key.sign(message), (r, s))  # deterministic

    def test_point_encoding_and_a_secret_kept_out_of_repr(self) -> None:
        key = KeyPair.from_secret(RFC_KEY)
        encoded = ecdsa.encode_point(key.public)
        self.assertEqual(encoded.hex(), "04" + "%064x%064x" % RFC_PUBLIC)
        self.assertNotIn("%x" % RFC_KEY, repr(key))
        self.assertIn("%x" % RFC_PUBLIC[0], repr(key))


if __name__ == "__main__":
    unittest.main()
