"""Byte-level building blocks of ZVT: BCD numbers, variable lengths, BER-TLV, the CRC.

Everything here is pure and raises `ProtocolError` on malformed input, so the codec
above it has exactly one error type to let through (PA00P015 ch. 1 "Data formats").

>>> bcd_encode(1500, 6).hex()
'000000001500'
>>> bcd_decode(bytes.fromhex('000000001500'))
1500
>>> hex(crc16_kermit(b'123456789'))   # the catalogued check value of CRC-16/KERMIT
'0x2189'
"""

from __future__ import annotations

from protocol.terminal.errors import ProtocolError


def _build_crc_table() -> list[int]:
    # CRC-16/KERMIT: polynomial 0x1021 reflected (0x8408), initial value 0, no final XOR.
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _build_crc_table()


def crc16_kermit(data: bytes) -> int:
    """PA00P016 ch. 2.2: CRC over the APDU (before DLE doubling) and ETX."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def bcd_encode(value: int, length: int) -> bytes:
    """Unsigned integer → packed BCD of exactly `length` bytes (leading zeros)."""
    if value < 0:
        raise ProtocolError(f"BCD cannot hold a negative number ({value})")
    digits = str(value).rjust(length * 2, "0")
    if len(digits) > length * 2:
        raise ProtocolError(f"{value} does not fit in {length} BCD bytes")
    return bytes.fromhex(digits)


def bcd_digits(data: bytes) -> str:
    """Packed BCD → its digit string; any nibble above 9 is an error."""
    text = data.hex()
    if not text.isdigit():
        raise ProtocolError(f"not BCD: {data.hex(' ')}")
    return text


def bcd_decode(data: bytes) -> int:
    return int(bcd_digits(data)) if data else 0


def encode_llvar(payload: bytes, digits: int) -> bytes:
    """ZVT variable length: `digits` bytes of the form Fx, each carrying one decimal digit."""
    limit = 10 ** digits - 1
    if len(payload) > limit:
        raise ProtocolError(f"variable field of {len(payload)} bytes exceeds {limit}")
    return bytes(0xF0 | int(d) for d in str(len(payload)).rjust(digits, "0")) + payload


def decode_llvar(data: bytes, pos: int, digits: int) -> tuple[bytes, int]:
    """Read an LL(L)VAR field at `pos`; returns (payload, next position)."""
    head = data[pos:pos + digits]
    if len(head) < digits:
        raise ProtocolError("variable-length field cut short in its length")
    length = 0
    for byte in head:
        if byte & 0xF0 != 0xF0 or byte & 0x0F > 9:
            raise ProtocolError(f"bad variable length byte {byte:02x} (expected F0-F9)")
        length = length * 10 + (byte & 0x0F)
    start = pos + digits
    if start + length > len(data):
        raise ProtocolError(f"variable-length field says {length} bytes, "
                               f"only {len(data) - start} left")
    return data[start:start + length], start + length


# -- BER-TLV as used in the ZVT TLV container (BMP 06), PA00P015 ch. 9 -----------------

MAX_TLV_DEPTH = 4  # ZVT nests at most container → print-texts → line; deeper is hostile


def encode_tlv_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x81, length])
    if length <= 0xFFFF:
        return bytes([0x82, length >> 8, length & 0xFF])
    raise ProtocolError(f"TLV length {length} too large")


def decode_tlv_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise ProtocolError("TLV length missing")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count not in (1, 2) or pos + 1 + count > len(data):
        raise ProtocolError(f"bad TLV length form {first:02x}")
    return int.from_bytes(data[pos + 1:pos + 1 + count], "big"), pos + 1 + count


def encode_tlv(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes(2, "big") if tag > 0xFF else bytes([tag])
    return tag_bytes + encode_tlv_length(len(value)) + value


def decode_tlv(data: bytes, depth: int = 0) -> list[tuple[int, bytes | list]]:
    """Decode a TLV sequence; constructed tags (bit 0x20 of the first byte) recurse."""
    if depth > MAX_TLV_DEPTH:
        raise ProtocolError("TLV nested too deeply")
    out: list[tuple[int, bytes | list]] = []
    pos = 0
    while pos < len(data):
        first = data[pos]
        if first & 0x1F == 0x1F:  # multi-byte tag: ZVT uses two-byte tags like 1F07
            if pos + 1 >= len(data):
                raise ProtocolError("TLV tag cut short")
            tag, pos = (first << 8) | data[pos + 1], pos + 2
        else:
            tag, pos = first, pos + 1
        length, pos = decode_tlv_length(data, pos)
        if pos + length > len(data):
            raise ProtocolError(f"TLV tag {tag:x} says {length} bytes, {len(data) - pos} left")
        value = data[pos:pos + length]
        pos += length
        constructed = (tag >> 8 if tag > 0xFF else tag) & 0x20
        out.append((tag, decode_tlv(value, depth + 1) if constructed else value))
    return out
