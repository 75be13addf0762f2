"""ZVT application messages (APDUs) as typed events, and their encoding.

An APDU is CLASS INSTR LENGTH DATA (PA00P016 ch. 3.1); LENGTH is one byte, or FF
followed by two bytes low byte first when DATA is 255 bytes or more ("extended
length").  `encode_message(msg)` gives the APDU bytes of a message, `decode_apdu(apdu)`
the message of APDU bytes.  The same classes serve both roles: the cash register (ECR)
sends `Authorisation` and receives `StatusInformation`, the terminal (PT) the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol.terminal.errors import ProtocolError
from protocol.terminal.zvt.bmp import Bmps, decode_bmps, encode_bmps
from protocol.terminal.zvt.encoding import (bcd_decode, bcd_digits, bcd_encode, decode_llvar,
                                            decode_tlv, encode_llvar, encode_tlv,
                                            encode_tlv_length)

# Largest APDU data we accept.  The format allows 65535; real terminals send receipts as
# text blocks of a few KB.  Anything bigger is refused so a noisy line cannot make us
# buffer without bound (same idea as h11's max_incomplete_event_size).
MAX_APDU_DATA = 8192
DEFAULT_PASSWORD = "000000"
CURRENCY_EUR = 978

# Registration config byte (PA00P015 ch. 2.1): ECR prints payment receipts (02) and
# administration receipts (04), wants intermediate status (08), controls payment (10)
# and administration (20) functions, receives print lines as text (80).
CONFIG_ECR_PRINTS_PAYMENT = 0x02
CONFIG_ECR_PRINTS_ADMIN = 0x04
CONFIG_ECR_PRINTS = CONFIG_ECR_PRINTS_PAYMENT | CONFIG_ECR_PRINTS_ADMIN
CONFIG_INTERMEDIATE_STATUS = 0x08
DEFAULT_CONFIG_BYTE = 0x80 | 0x20 | 0x10 | CONFIG_INTERMEDIATE_STATUS | CONFIG_ECR_PRINTS


class Message:
    """Base of all ZVT messages; `CODE` is (class, instruction)."""

    CODE: tuple[int, int] = (0, 0)
    NAME = "message"

    def data(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, data: bytes) -> "Message":
        return cls()


def _password(data: bytes) -> str:
    if len(data) < 3:
        raise ProtocolError("password (3 BCD bytes) missing")
    return bcd_digits(data[:3])


def _pw_bytes(password: str) -> bytes:
    if len(password) != 6 or not password.isdigit():
        raise ProtocolError("password must be 6 digits")
    return bytes.fromhex(password)


# -- ECR → PT commands -------------------------------------------------------------------

@dataclass
class Registration(Message):
    CODE = (0x06, 0x00)
    NAME = "registration"
    password: str = DEFAULT_PASSWORD
    config_byte: int = DEFAULT_CONFIG_BYTE
    currency: int | None = CURRENCY_EUR
    service_byte: int | None = None

    def data(self) -> bytes:
        out = _pw_bytes(self.password) + bytes([self.config_byte])
        if self.currency is not None:
            out += bcd_encode(self.currency, 2)
            if self.service_byte is not None:
                out += bytes([0x03, self.service_byte])
        return out

    @classmethod
    def parse(cls, data: bytes) -> "Registration":
        if len(data) < 4:
            raise ProtocolError("registration needs password and config byte")
        msg = cls(_password(data), data[3], None)
        if len(data) >= 6:
            msg.currency = bcd_decode(data[4:6])
            if len(data) >= 8 and data[6] == 0x03:
                msg.service_byte = data[7]
        return msg


@dataclass
class _BmpCommand(Message):
    """Commands whose data is only BMPs."""

    bmps: Bmps = field(default_factory=Bmps)

    def data(self) -> bytes:
        return encode_bmps(self.bmps)

    @classmethod
    def parse(cls, data: bytes):
        return cls(decode_bmps(data))


@dataclass
class _PasswordBmpCommand(Message):
    """Commands of the form <password> [BMPs]."""

    password: str = DEFAULT_PASSWORD
    bmps: Bmps = field(default_factory=Bmps)

    def data(self) -> bytes:
        return _pw_bytes(self.password) + encode_bmps(self.bmps)

    @classmethod
    def parse(cls, data: bytes):
        return cls(_password(data), decode_bmps(data[3:]))


@dataclass
class Authorisation(_BmpCommand):
    """06 01: pay `bmps.amount` (BMP 04) in `bmps.currency` (BMP 49)."""
    CODE = (0x06, 0x01)
    NAME = "authorisation"


@dataclass
class Refund(_PasswordBmpCommand):
    CODE = (0x06, 0x31)
    NAME = "refund"


@dataclass
class Reversal(_PasswordBmpCommand):
    """06 30: undo the payment with receipt number `bmps.receipt_no` (BMP 87)."""
    CODE = (0x06, 0x30)
    NAME = "reversal"


@dataclass
class EndOfDay(_PasswordBmpCommand):
    CODE = (0x06, 0x50)
    NAME = "end of day"


@dataclass
class RepeatReceipt(_PasswordBmpCommand):
    CODE = (0x06, 0x20)
    NAME = "repeat receipt"


@dataclass
class StatusEnquiry(Message):
    CODE = (0x05, 0x01)
    NAME = "status enquiry"
    password: str = DEFAULT_PASSWORD
    service_byte: int | None = None

    def data(self) -> bytes:
        out = _pw_bytes(self.password)
        return out + (bytes([0x03, self.service_byte]) if self.service_byte is not None else b"")

    @classmethod
    def parse(cls, data: bytes) -> "StatusEnquiry":
        msg = cls(_password(data))
        if len(data) >= 5 and data[3] == 0x03:
            msg.service_byte = data[4]
        return msg


@dataclass
class LogOff(Message):
    CODE = (0x06, 0x02)
    NAME = "log off"


@dataclass
class AbortRequest(Message):
    """06 B0: the ECR asks the PT to abort the running transaction."""
    CODE = (0x06, 0xB0)
    NAME = "abort request"


# -- PT → ECR messages -------------------------------------------------------------------

@dataclass
class IntermediateStatus(Message):
    CODE = (0x04, 0xFF)
    NAME = "intermediate status"
    status: int = 0x0E
    timeout_s: int | None = None
    tlv: bytes | None = None

    def data(self) -> bytes:
        out = bytes([self.status])
        if self.timeout_s is not None or self.tlv is not None:
            out += bytes([self.timeout_s or 0])
        if self.tlv is not None:
            out += b"\x06" + _tlv_len(self.tlv) + self.tlv
        return out

    @classmethod
    def parse(cls, data: bytes) -> "IntermediateStatus":
        if not data:
            raise ProtocolError("intermediate status without a status byte")
        msg = cls(data[0])
        if len(data) >= 2:
            msg.timeout_s = data[1] or None
        return msg


def _tlv_len(value: bytes) -> bytes:
    return encode_tlv_length(len(value))


@dataclass
class StatusInformation(_BmpCommand):
    """04 0F: the transaction result (BMP 27 result code) and its details."""
    CODE = (0x04, 0x0F)
    NAME = "status information"


COMPLETION_BMP_TAGS = (0x19, 0x29, 0x49, 0x06)


@dataclass
class Completion(Message):
    """06 0F: the PT hands the master rights back; the command is done.

    After a status enquiry it may start with the PT's software version (LLLVAR) and a
    terminal-status byte (00 = ready) before the BMPs 19/29/49/06.
    """
    CODE = (0x06, 0x0F)
    NAME = "completion"
    bmps: Bmps = field(default_factory=Bmps)
    sw_version: str | None = None
    terminal_status: int | None = None

    def data(self) -> bytes:
        out = b""
        if self.sw_version is not None:
            out += encode_llvar(self.sw_version.encode("ascii", "replace"), 3)
        if self.terminal_status is not None:
            out += bytes([self.terminal_status])
        return out + encode_bmps(self.bmps)

    @classmethod
    def parse(cls, data: bytes) -> "Completion":
        msg, pos = cls(), 0
        if len(data) >= 3 and all(b & 0xF0 == 0xF0 for b in data[:3]):
            version, pos = decode_llvar(data, 0, 3)
            msg.sw_version = version.decode("latin-1")
        if pos < len(data) and data[pos] not in COMPLETION_BMP_TAGS:
            msg.terminal_status, pos = data[pos], pos + 1
        msg.bmps = decode_bmps(data[pos:])
        return msg


@dataclass
class Abort(Message):
    """06 1E: the command failed; `result_code` says why (ZVT error list)."""
    CODE = (0x06, 0x1E)
    NAME = "abort"
    result_code: int = 0x6C
    rest: bytes = b""

    def data(self) -> bytes:
        return bytes([self.result_code]) + self.rest

    @classmethod
    def parse(cls, data: bytes) -> "Abort":
        if not data:
            return cls(0xFF)  # some terminals send 06 1E 00: unknown error
        return cls(data[0], data[1:])


@dataclass
class PrintLine(Message):
    CODE = (0x06, 0xD1)
    NAME = "print line"
    attribute: int = 0
    text: str = ""

    def data(self) -> bytes:
        return bytes([self.attribute]) + self.text.encode("latin-1", "replace")

    @classmethod
    def parse(cls, data: bytes) -> "PrintLine":
        if not data:
            raise ProtocolError("print line without its attribute byte")
        return cls(data[0], data[1:].decode("latin-1"))


TAG_PRINT_TEXTS, TAG_TEXT_LINE, TAG_RECEIPT_TYPE = 0x25, 0x07, 0x1F07


@dataclass
class PrintTextBlock(Message):
    """06 D3: a whole receipt as TLV (06 → 25 print-texts → 07 lines, 1F07 type)."""
    CODE = (0x06, 0xD3)
    NAME = "text block"
    lines: list[str] = field(default_factory=list)
    receipt_type: int | None = None   # 1 merchant, 2 customer, 3 administration

    def data(self) -> bytes:
        inner = b"".join(encode_tlv(TAG_TEXT_LINE, ln.encode("latin-1", "replace"))
                         for ln in self.lines)
        body = (encode_tlv(TAG_RECEIPT_TYPE, bytes([self.receipt_type]))
                if self.receipt_type is not None else b"") + encode_tlv(TAG_PRINT_TEXTS, inner)
        return b"\x06" + _tlv_len(body) + body

    @classmethod
    def parse(cls, data: bytes) -> "PrintTextBlock":
        bmps = decode_bmps(data)
        msg = cls()
        for tag, value in decode_tlv(bmps.tlv or b""):
            if tag == TAG_RECEIPT_TYPE and isinstance(value, bytes) and value:
                msg.receipt_type = value[0]
            elif tag == TAG_PRINT_TEXTS and isinstance(value, list):
                msg.lines += [v.decode("latin-1") for t, v in value
                              if t == TAG_TEXT_LINE and isinstance(v, bytes)]
        return msg


# -- acknowledgements, both directions ----------------------------------------------------

@dataclass
class Ack(Message):
    """80 00 00 (also 84 00 00): received and accepted."""
    CODE = (0x80, 0x00)
    NAME = "ack"


@dataclass
class Nack(Message):
    """84 xx 00: refused, xx = error code (e.g. 83 function not possible, 9C please wait)."""
    CODE = (0x84, 0xFF)
    NAME = "negative ack"
    code: int = 0x83


@dataclass
class UnknownMessage(Message):
    """An APDU whose command we do not model, kept whole."""
    NAME = "unknown command"
    cls_: int = 0
    instr: int = 0
    raw: bytes = b""


MESSAGE_TYPES: dict[tuple[int, int], type[Message]] = {
    t.CODE: t for t in (Registration, Authorisation, Refund, Reversal, EndOfDay,
                        RepeatReceipt, StatusEnquiry, LogOff, AbortRequest,
                        IntermediateStatus, StatusInformation, Completion, Abort,
                        PrintLine, PrintTextBlock, Ack)}


def encode_apdu(cls: int, instr: int, data: bytes) -> bytes:
    if len(data) > MAX_APDU_DATA:
        raise ProtocolError(f"APDU data of {len(data)} bytes exceeds {MAX_APDU_DATA}")
    if len(data) < 0xFF:
        return bytes([cls, instr, len(data)]) + data
    return bytes([cls, instr, 0xFF, len(data) & 0xFF, len(data) >> 8]) + data


def encode_message(msg: Message) -> bytes:
    if isinstance(msg, Nack):
        return bytes([0x84, msg.code, 0x00])
    if isinstance(msg, UnknownMessage):
        return encode_apdu(msg.cls_, msg.instr, msg.raw)
    return encode_apdu(*msg.CODE, msg.data())


def apdu_length(buffer: bytes | bytearray) -> int | None:
    """Total length of the APDU at the start of `buffer`, None if not yet known."""
    if len(buffer) < 3:
        return None
    if buffer[2] != 0xFF:
        return 3 + buffer[2]
    if len(buffer) < 5:
        return None
    length = buffer[3] | buffer[4] << 8
    if length > MAX_APDU_DATA:
        raise ProtocolError(f"APDU announces {length} data bytes, limit {MAX_APDU_DATA}")
    return 5 + length


def decode_apdu(apdu: bytes) -> Message:
    total = apdu_length(apdu)
    if total is None or total != len(apdu):
        raise ProtocolError(f"APDU length field does not match its {len(apdu)} bytes: "
                               f"{apdu[:8].hex(' ')}")
    cls, instr = apdu[0], apdu[1]
    data = apdu[3:] if apdu[2] != 0xFF else apdu[5:]
    if cls == 0x84:
        return Ack() if instr == 0x00 else Nack(instr)
    kind = MESSAGE_TYPES.get((cls, instr))
    if kind is None:
        return UnknownMessage(cls, instr, data)
    return kind.parse(data)
