"""ASN.1 DER encoding (ITU-T X.690): the bytes certificates and keys are made of.

Owns the encoding rules for the handful of types an X.509 certificate and
an EC private key use: lengths, INTEGER, OBJECT IDENTIFIER, the string
types, BIT STRING (also as a set of named bits), BOOLEAN, times, and the
constructed and context-tagged forms. Each function returns the complete
encoding (tag, length, contents), so structures nest as calls do. It writes
only, never parses, and knows nothing of what the structures mean.

DER leaves no choice in an encoding; the rules that matter here: integers
in the fewest bytes, two's complement; a BOOLEAN false or any other DEFAULT
value is left out by the caller (``critical`` in an extension); a SET OF is
sorted; named bits drop their trailing zeros.
"""

from __future__ import annotations

import datetime

__all__ = [
    "bit_string", "boolean", "context", "integer", "length", "named_bits", "octet_string", "oid",
    "sequence", "set_of", "time", "tlv", "utf8_string",
]

_SEQUENCE = 0x30
_SET = 0x31


def length(size: int) -> bytes:
    """The length octets for *size* content bytes: short form below 128, long form above."""
    if size < 0x80:
        return bytes([size])
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def tlv(tag: int, contents: bytes) -> bytes:
    """One element: the identifier octet *tag*, the length, the contents."""
    return bytes([tag]) + length(len(contents)) + contents


def sequence(*elements: bytes) -> bytes:
    """A SEQUENCE of already-encoded *elements*, in order."""
    return tlv(_SEQUENCE, b"".join(elements))


def set_of(*elements: bytes) -> bytes:
    """A SET OF already-encoded *elements*, sorted as DER requires (X.690 11.6)."""
    return tlv(_SET, b"".join(sorted(elements)))


def context(number: int, contents: bytes, *, constructed: bool) -> bytes:
    """A context-specific tag ``[number]``.

    EXPLICIT tagging wraps a complete encoding: ``context(0, integer(2),
    constructed=True)``. IMPLICIT tagging replaces the tag of a primitive's
    contents: ``context(2, b"example.com", constructed=False)`` for a
    ``dNSName``. (Numbers above 30 take a multi-byte tag; none are used.)
    """
    if not 0 <= number <= 30:
        raise ValueError(f"context tag number {number} needs the high-tag-number form")
    return tlv(0x80 | (0x20 if constructed else 0) | number, contents)


def integer(value: int) -> bytes:
    """An INTEGER: two's complement in the fewest bytes (a leading zero keeps it positive)."""
    size = (value + (value < 0)).bit_length() // 8 + 1
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


def boolean(value: bool) -> bytes:
    """A BOOLEAN: DER's TRUE is 0xFF. (A DEFAULT FALSE is left out instead.)"""
    return tlv(0x01, b"\xff" if value else b"\x00")


def oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER from its dotted form, e.g. ``"2.5.4.3"``."""
    arcs = [int(arc) for arc in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"invalid object identifier {dotted!r}")
    contents = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        septets = [arc & 0x7F]
        arc >>= 7
        while arc:
            septets.append(0x80 | (arc & 0x7F))
            arc >>= 7
        contents.extend(reversed(septets))
    return tlv(0x06, bytes(contents))


def octet_string(data: bytes) -> bytes:
    """An OCTET STRING."""
    return tlv(0x04, data)


def bit_string(data: bytes, unused_bits: int = 0) -> bytes:
    """A BIT STRING of whole bytes *data*, the last *unused_bits* of which are padding."""
    return tlv(0x03, bytes([unused_bits]) + data)


def named_bits(*positions: int) -> bytes:
    """A BIT STRING with the named bits at *positions* set (bit 0 is the first, 0x80).

    DER drops trailing zero bits (X.690 11.2.2), so ``keyUsage``
    digitalSignature alone (bit 0) is ``03 02 07 80``.
    """
    if not positions:
        return bit_string(b"")
    value = 0
    for position in positions:
        value |= 1 << position
    size = max(positions) // 8 + 1
    reversed_bits = int(f"{value:0{size * 8}b}"[::-1], 2)  # bit 0 is the first in the string
    unused = size * 8 - 1 - max(positions)
    return bit_string(reversed_bits.to_bytes(size, "big"), unused)


def utf8_string(text: str) -> bytes:
    """A UTF8String (the string type RFC 5280 asks names to use)."""
    return tlv(0x0C, text.encode("utf-8"))


def time(moment: datetime.datetime) -> bytes:
    """A certificate time: UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5).

    *moment* must be timezone-aware; it is written in UTC, to the second.
    """
    if moment.tzinfo is None:
        raise ValueError("certificate times must be timezone-aware")
    moment = moment.astimezone(datetime.timezone.utc)
    if moment.year < 2050:
        return tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return tlv(0x18, f"{moment.year:04d}{moment.strftime('%m%d%H%M%S')}Z".encode("ascii"))
