"""The DER writer against the encodings ITU-T X.690 spells out, byte for byte."""

from __future__ import annotations

import datetime
import unittest

from fakeserver.proxy import _der as der

UTC = datetime.timezone.utc


class LengthTest(unittest.TestCase):
    def test_short_and_long_forms(self) -> None:
        for size, expected in ((0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"),
                               (256, "820100"), (65536, "83010000")):
            with self.subTest(size=size):
                self.assertEqual(der.length(size).hex(), expected)

    def test_a_long_sequence_takes_the_long_form(self) -> None:
        encoded = der.sequence(der.octet_string(bytes(197)))
        self.assertEqual(encoded[:6].hex(), "3081c80481c5")
        self.assertEqual(len(encoded), 3 + 200)


class PrimitiveTest(unittest.TestCase):
    def test_integers_in_the_fewest_bytes_twos_complement(self) -> None:
        for value, expected in ((0, "020100"), (1, "020101"), (127, "02017f"), (128, "02020080"),
                                (255, "020200ff"), (256, "02020100"), (-1, "0201ff"),
                                (-128, "020180"), (-129, "0202ff7f")):
            with self.subTest(value=value):
                self.assertEqual(der.integer(value).hex(), expected)

    def test_a_256_bit_integer_with_its_top_bit_set_keeps_a_leading_zero(self) -> None:
        encoded = der.integer(1 << 255)
        self.assertEqual(encoded[:4].hex(), "02210080")
        self.assertEqual(len(encoded), 35)

    def test_object_identifiers(self) -> None:
        # X.690 8.19.5's example, and the identifiers certificates use.
        for dotted, expected in (("2.999.3", "0603883703"), ("1.2.840.113549", "06062a864886f70d"),
                                 ("2.5.4.3", "0603550403"),
                                 ("1.2.840.10045.4.3.2", "06082a8648ce3d040302")):
            with self.subTest(dotted=dotted):
                self.assertEqual(der.oid(dotted).hex(), expected)

    def test_invalid_object_identifiers(self) -> None:
        for dotted in ("1", "3.1", "1.40", "0.39.1x"):
            with self.subTest(dotted=dotted), self.assertRaises(ValueError):
                der.oid(dotted)

    def test_booleans_strings_and_bits(self) -> None:
        self.assertEqual(der.boolean(True).hex(), "0101ff")
        self.assertEqual(der.boolean(False).hex(), "010100")
        self.assertEqual(der.octet_string(b"\x01\x02").hex(), "04020102")
        self.assertEqual(der.utf8_string("é").hex(), "0c02c3a9")
        self.assertEqual(der.bit_string(b"\x04\xff").hex(), "03030004ff")

    def test_named_bits_drop_trailing_zeros(self) -> None:
        self.assertEqual(der.named_bits(0).hex(), "03020780")  # digitalSignature
        self.assertEqual(der.named_bits(5, 6).hex(), "03020106")  # keyCertSign, cRLSign
        self.assertEqual(der.named_bits(0, 9).hex(), "0303068040")
        self.assertEqual(der.named_bits().hex(), "030100")


class ConstructedTest(unittest.TestCase):
    def test_set_of_is_sorted(self) -> None:
        self.assertEqual(der.set_of(der.integer(2), der.integer(1)).hex(), "3106020101020102")

    def test_context_tags(self) -> None:
        self.assertEqual(der.context(0, der.integer(2), constructed=True).hex(), "a003020102")
        self.assertEqual(der.context(2, b"a", constructed=False).hex(), "820161")
        with self.assertRaisesRegex(ValueError, "high-tag-number form"):
            der.context(31, b"", constructed=False)


class TimeTest(unittest.TestCase):
    def test_utctime_through_2049_generalizedtime_after(self) -> None:
        moment = datetime.datetime(2025, 1, 2, 3, 4, 5, 999, tzinfo=UTC)
        self.assertEqual(der.time(moment), b"\x17\x0d250102030405Z")
        late = datetime.datetime(2050, 1, 1, tzinfo=UTC)
        self.assertEqual(der.time(late), b"\x18\x0f20500101000000Z")

    def test_written_in_utc(self) -> None:
        paris = datetime.timezone(datetime.timedelta(hours=1))
        moment = datetime.datetime(2025, 1, 1, 0, 30, tzinfo=paris)
        self.assertEqual(der.time(moment), b"\x17\x0d241231233000Z")

    def test_naive_times_are_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "timezone-aware"):
            der.time(datetime.datetime(2025, 1, 1))


if __name__ == "__main__":
    unittest.main()
