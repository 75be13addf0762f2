"""ZVT bitmaps (BMPs): the tagged fields inside status information and commands.

A BMP is one tag byte followed by a value whose length the tag fixes (PA00P015 ch. 9,
"Summary of utilised BMPs"): fixed BCD numbers, single bytes, LLVAR/LLLVAR fields,
or the BER-TLV container 06.  `encode_bmps` writes the fields of a `Bmps` record in
tag order; `decode_bmps` reads them back.  An unknown tag cannot be skipped (its length
is not self-describing), so decoding stops there and keeps the rest in `unparsed`.

Card numbers: a PAN (BMP 22) is returned masked, whatever the terminal sent; card track
data (23, 24, 2D) and CVV (3A) are skipped and never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from protocol.terminal.errors import ProtocolError
from protocol.terminal.zvt.encoding import (bcd_decode, bcd_digits, bcd_encode, decode_llvar,
                                            decode_tlv_length, encode_llvar, encode_tlv_length)

# tag: (attribute, kind, size). Kinds: int = BCD number of `size` bytes, digits = BCD
# digit string, byte = one binary byte, ascii = fixed text, raw = fixed bytes,
# ll/lll = LLVAR/LLLVAR (…_text decoded as text), pan = LLVAR BCD card number,
# secret_* = card data we must skip without keeping, tlv = the BER-TLV container.
BMP_TABLE: dict[int, tuple[str, str, int]] = {
    0x01: ("timeout_s", "byte", 1),
    0x02: ("max_status_infos", "byte", 1),
    0x03: ("service_byte", "byte", 1),
    0x04: ("amount", "int", 6),
    0x05: ("pump_no", "byte", 1),
    0x06: ("tlv", "tlv", 0),
    0x0B: ("trace_no", "int", 3),
    0x0C: ("time", "digits", 3),         # HHMMSS
    0x0D: ("date", "digits", 2),         # MMDD
    0x0E: ("expiry", "digits", 2),       # YYMM
    0x17: ("card_seq_no", "int", 2),
    0x19: ("payment_type", "byte", 1),   # also "status byte" in completion
    0x22: ("pan", "pan", 2),
    0x23: ("track2", "secret_ll", 2),
    0x24: ("track3", "secret_lll", 3),
    0x27: ("result_code", "byte", 1),
    0x29: ("terminal_id", "digits", 4),
    0x2A: ("vu_number", "ascii", 15),
    0x2D: ("track1", "secret_ll", 2),
    0x2E: ("sync_chip_data", "secret_lll", 3),
    0x37: ("original_trace_no", "int", 3),
    0x3A: ("cvv", "secret_fixed", 2),
    0x3B: ("aid", "ascii", 8),
    0x3C: ("additional_text", "lll_text", 3),
    0x3D: ("password", "digits", 3),
    0x49: ("currency", "int", 2),
    0x60: ("totals", "lll", 3),
    0x87: ("receipt_no", "int", 2),
    0x88: ("turnover_no", "int", 3),
    0x8A: ("card_type", "byte", 1),
    0x8B: ("card_name", "ll_text", 2),
    0x8C: ("card_type_id", "byte", 1),
    0x92: ("additional_data", "lll", 3),
    0x9A: ("geldkarte_data", "lll", 3),
    0xA0: ("result_code_as", "byte", 1),
    0xA7: ("chip_data", "ll", 2),
    0xAA: ("date_yymmdd", "digits", 3),
    0xAF: ("ef_info", "lll", 3),
    0xBA: ("aid_parameter", "raw", 5),
    0xD0: ("algorithm_key", "byte", 1),
    0xD1: ("card_offset", "ll", 2),
    0xD2: ("direct_debit", "byte", 1),
    0xD3: ("card_offset_type", "byte", 1),
}
TAG_OF = {attr: tag for tag, (attr, _, _) in BMP_TABLE.items()}


@dataclass
class Bmps:
    """The BMPs of one message; None = absent."""

    timeout_s: int | None = None
    max_status_infos: int | None = None
    service_byte: int | None = None
    amount: int | None = None             # minor units
    pump_no: int | None = None
    tlv: bytes | None = None              # raw BER-TLV container content
    trace_no: int | None = None
    time: str | None = None
    date: str | None = None
    expiry: str | None = None
    card_seq_no: int | None = None
    payment_type: int | None = None
    pan: str | None = None                # always masked: 672559******1234
    result_code: int | None = None
    terminal_id: str | None = None
    vu_number: str | None = None
    original_trace_no: int | None = None
    aid: str | None = None
    additional_text: str | None = None
    password: str | None = None
    currency: int | None = None           # ISO 4217 numeric, 978 = EUR
    totals: bytes | None = None           # BMP 60 individual totals, see IndividualTotals
    receipt_no: int | None = None
    turnover_no: int | None = None
    card_type: int | None = None
    card_name: str | None = None
    card_type_id: int | None = None
    additional_data: bytes | None = None
    geldkarte_data: bytes | None = None
    result_code_as: int | None = None
    chip_data: bytes | None = None
    date_yymmdd: str | None = None
    ef_info: bytes | None = None
    aid_parameter: bytes | None = None
    algorithm_key: int | None = None
    card_offset: bytes | None = None
    direct_debit: int | None = None
    card_offset_type: int | None = None
    unparsed: bytes = b""                 # from the first unknown tag on
    tags: list[int] = field(default_factory=list, compare=False, repr=False)  # as received

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in bmps_present(self).items())
        return f"Bmps({shown})"


def mask_pan(pan: str) -> str:
    """Keep at most the first 6 and last 4 digits in clear (PCI DSS 3.4)."""
    clear = pan.replace("*", "")
    if "*" in pan and len(clear) <= 10:
        return pan
    if len(pan) <= 10:
        return "*" * max(0, len(pan) - 4) + pan[-4:]
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def _encode_pan(pan: str) -> bytes:
    nibbles = "".join("e" if c == "*" else c for c in mask_pan(pan))
    if not all(c in "0123456789e" for c in nibbles):
        raise ProtocolError("card number must be digits with * for masked ones")
    if len(nibbles) % 2:
        nibbles += "f"
    return encode_llvar(bytes.fromhex(nibbles), 2)


def _decode_pan(payload: bytes) -> str:
    digits = []
    for nibble in payload.hex():
        if nibble == "f":
            break
        digits.append("*" if nibble == "e" else nibble if nibble.isdigit() else "*")
    return mask_pan("".join(digits))


def _ascii(text: str, size: int | None = None) -> bytes:
    data = text.encode("ascii", "replace")
    if size is not None:
        if len(data) > size:
            raise ProtocolError(f"text {text!r} longer than {size} bytes")
        data = data.ljust(size, b" ")
    return data


def _text(data: bytes) -> str:
    # ZVT text is 7-bit ASCII / CP437-ish; latin-1 never fails and keeps bytes visible.
    return data.decode("latin-1").rstrip("\x00 ")


def encode_bmps(b: Bmps) -> bytes:
    """The BMPs set on `b`, tag by tag in table order (TLV container last, as usual)."""
    out = bytearray()
    for tag, (attr, kind, size) in BMP_TABLE.items():
        value = getattr(b, attr, None)
        if value is None or tag == 0x06 or kind.startswith("secret"):
            continue
        out.append(tag)
        if kind == "int":
            out += bcd_encode(value, size)
        elif kind == "digits":
            if len(value) != size * 2 or not value.isdigit():
                raise ProtocolError(f"BMP {tag:02x} needs {size * 2} digits, got {value!r}")
            out += bytes.fromhex(value)
        elif kind == "byte":
            if not 0 <= value <= 255:
                raise ProtocolError(f"BMP {tag:02x} is one byte, got {value}")
            out.append(value)
        elif kind == "ascii":
            out += _ascii(value, size)
        elif kind == "raw":
            if len(value) != size:
                raise ProtocolError(f"BMP {tag:02x} needs {size} bytes")
            out += value
        elif kind == "pan":
            out += _encode_pan(value)
        elif kind in ("ll", "lll"):
            out += encode_llvar(value, size)
        elif kind in ("ll_text", "lll_text"):
            out += encode_llvar(_ascii(value), size)
    if b.tlv is not None:
        out += b"\x06" + encode_tlv_length(len(b.tlv)) + b.tlv
    return bytes(out)


def decode_bmps(data: bytes) -> Bmps:
    b = Bmps()
    pos = 0
    while pos < len(data):
        tag = data[pos]
        if tag not in BMP_TABLE:
            b.unparsed = data[pos:]
            break
        attr, kind, size = BMP_TABLE[tag]
        pos += 1
        b.tags.append(tag)
        if kind == "tlv":
            length, pos = decode_tlv_length(data, pos)
            if pos + length > len(data):
                raise ProtocolError(f"TLV container says {length} bytes, {len(data) - pos} left")
            b.tlv, pos = data[pos:pos + length], pos + length
            continue
        if kind in ("ll", "lll", "ll_text", "lll_text", "pan", "secret_ll", "secret_lll"):
            payload, pos = decode_llvar(data, pos, size)
            if kind == "pan":
                b.pan = _decode_pan(payload)
            elif kind.endswith("_text"):
                setattr(b, attr, _text(payload))
            elif not kind.startswith("secret"):
                setattr(b, attr, payload)
            continue
        chunk = data[pos:pos + size]
        if len(chunk) < size:
            raise ProtocolError(f"BMP {tag:02x} needs {size} bytes, {len(chunk)} left")
        pos += size
        if kind == "int":
            setattr(b, attr, bcd_decode(chunk))
        elif kind == "digits":
            setattr(b, attr, bcd_digits(chunk))
        elif kind == "byte":
            setattr(b, attr, chunk[0])
        elif kind == "ascii":
            setattr(b, attr, _text(chunk))
        elif kind == "raw":
            setattr(b, attr, chunk)
    return b


def bmps_present(b: Bmps) -> dict[str, object]:
    """The fields that are set, for logs and tests."""
    return {f.name: getattr(b, f.name) for f in fields(b)
            if f.name not in ("tags", "unparsed") and getattr(b, f.name) is not None}


# -- BMP 60: individual totals of an end of day (PA00P015 ch. 2.16) --------------------

TOTALS_CARD_SLOTS = ("girocard", "JCB", "Mastercard", "Amex", "Visa", "Diners", "other")
# ZVT card-type ids (BMP 8A) that have their own slot in BMP 60; the rest go to "other".
CARD_TYPE_SLOT = {5: "girocard", 14: "JCB", 6: "Mastercard", 8: "Amex", 10: "Visa",
                  12: "Diners"}


@dataclass
class IndividualTotals:
    receipt_from: int = 0
    receipt_to: int = 0
    per_card: dict[str, tuple[int, int]] = field(default_factory=dict)  # slot -> (count, total)

    def encode(self) -> bytes:
        out = bytearray(bcd_encode(self.receipt_from, 2) + bcd_encode(self.receipt_to, 2))
        for slot in TOTALS_CARD_SLOTS:
            count, total = self.per_card.get(slot, (0, 0))
            if not 0 <= count <= 255:
                raise ProtocolError(f"{slot} count {count} does not fit one byte")
            out.append(count)
            out += bcd_encode(total, 6)
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> "IndividualTotals":
        if len(data) < 4 + 7 * len(TOTALS_CARD_SLOTS):
            raise ProtocolError(f"individual totals need 53 bytes, got {len(data)}")
        totals = cls(bcd_decode(data[0:2]), bcd_decode(data[2:4]))
        pos = 4
        for slot in TOTALS_CARD_SLOTS:
            count, total = data[pos], bcd_decode(data[pos + 1:pos + 7])
            if count or total:
                totals.per_card[slot] = (count, total)
            pos += 7
        return totals
