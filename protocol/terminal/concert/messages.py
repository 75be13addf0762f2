"""The Concert V2 messages: the 34-character request and the short and full (E+) answers.

Concert is the French cash-register-to-terminal protocol (Ingenico Telium and others).
Version 2 carries fixed-position ASCII fields, framed as ``STX data ETX LRC`` where the
LRC is the XOR of every byte after STX, ETX included (see `lrc`).  This module only
turns typed messages into the data part and back; the framing and the ENQ/ACK/NAK/EOT
session live in `protocol.terminal.concert.connection`.

Request, cash register → terminal (34 characters)::

    pos 0  len 2  POS number            "01"
    pos 2  len 8  amount in cents       "00001250" = 12.50
    pos 10 len 1  answer flag           "0" short answer, "1" full answer (E+)
    pos 11 len 1  mode (means of pay)   "1" card, "C" cheque, …
    pos 12 len 1  type                  "0" debit, "1" credit (refund), "2" cancellation
    pos 13 len 3  currency, ISO numeric "978" EUR
    pos 16 len 10 private               echoed by the terminal; spaces when unused
    pos 26 len 4  delay                 "A010" answer at the end of the transaction,
                                        "A011" answer at once (status not final)
    pos 30 len 4  authorisation         "B010" terminal decides, "B011" force online

Answer, terminal → cash register: short (25 characters) or full (80 characters)::

    pos 0  len 2  POS number
    pos 2  len 1  status                "0" success, "7" failure (refused, cancelled…)
    pos 3  len 8  amount in cents
    pos 11 len 1  mode
    (full only) pos 12 len 55 report    card data, the card number first
    then   len 3  currency
    then   len 10 private

Layouts as published by terminal vendors (PayXpert "Concert V2 - Legacy") and by the
independent cash-register implementations pyTeliumManager and pypostelium.

>>> req = PaymentRequest(pos_number=1, amount_minor=1250)
>>> req.encode()
b'0100001250110978          A010B010'
>>> PaymentRequest.decode(req.encode()) == req
True
>>> PaymentAnswer.decode(b'010000012501978          ').approved
True
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import reduce
from operator import xor

from protocol.terminal.errors import ProtocolError

STX = 0x02
ETX = 0x03
EOT = 0x04
ENQ = 0x05
ACK = 0x06
NAK = 0x15

CONTROL_NAMES = {STX: "STX", ETX: "ETX", EOT: "EOT", ENQ: "ENQ", ACK: "ACK", NAK: "NAK"}

REQUEST_LENGTH = 34
SHORT_ANSWER_LENGTH = 25
FULL_ANSWER_LENGTH = 80
REPORT_LENGTH = 55
PRIVATE_LENGTH = 10
MAX_AMOUNT_MINOR = 99_999_999  # eight digits of cents
MAX_DATA_LENGTH = FULL_ANSWER_LENGTH  # the longest data part of any V2 message


class AnswerFlag(str, enum.Enum):
    SHORT = "0"
    FULL = "1"     # "E+": the answer carries the 55-character report field


class TransactionType(str, enum.Enum):
    DEBIT = "0"          # payment
    CREDIT = "1"         # refund to the card
    CANCELLATION = "2"   # annulation of a transaction still in the terminal's batch


class Delay(str, enum.Enum):
    END_OF_TRANSACTION = "A010"  # answer once the transaction is over: the status is final
    IMMEDIATE = "A011"           # answer at once: the status says nothing about the card


class Authorisation(str, enum.Enum):
    TERMINAL_DECIDES = "B010"
    FORCED = "B011"


class Status(str, enum.Enum):
    SUCCESS = "0"
    FAILURE = "7"


MODE_CARD = "1"
CURRENCY_NUMERIC = {"EUR": "978", "CHF": "756", "GBP": "826", "USD": "840", "XPF": "953"}


def lrc(data: bytes) -> int:
    """XOR of all bytes; the caller passes everything after STX up to and including ETX."""
    return reduce(xor, data, 0)


def _digits(text: str, start: int, length: int, name: str) -> int:
    field = text[start:start + length]
    if len(field) != length or not field.isascii() or not field.isdigit():
        raise ProtocolError(f"{name} must be {length} digits at position {start}, got {field!r}")
    return int(field)


def _printable(data: bytes, what: str) -> str:
    if any(b < 0x20 or b > 0x7E for b in data):
        bad = next(b for b in data if b < 0x20 or b > 0x7E)
        raise ProtocolError(f"{what} contains the non-printable byte 0x{bad:02X}")
    return data.decode("ascii")


def _enum(kind: type[enum.Enum], value: str, name: str) -> enum.Enum:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in kind)  # type: ignore[attr-defined]
        raise ProtocolError(f"{name} {value!r} is not one of {allowed}") from None


def _check_mode(mode: str) -> str:
    if len(mode) != 1 or not mode.isascii() or not mode.isalnum():
        raise ProtocolError(f"mode must be one letter or digit, got {mode!r}")
    return mode


def _check_private(private: str) -> str:
    if len(private) > PRIVATE_LENGTH or any(c < " " or c > "~" for c in private):
        raise ProtocolError(f"private field must be at most 10 printable characters, got {private!r}")
    return private.ljust(PRIVATE_LENGTH)


def _check_common(pos_number: int, amount_minor: int, currency: str) -> None:
    if not 0 <= pos_number <= 99:
        raise ProtocolError(f"POS number must be 0..99, got {pos_number}")
    if not 0 <= amount_minor <= MAX_AMOUNT_MINOR:
        raise ProtocolError(f"amount must be 0..{MAX_AMOUNT_MINOR} cents, got {amount_minor}")
    if len(currency) != 3 or not currency.isascii() or not currency.isdigit():
        raise ProtocolError(f"currency must be 3 ISO numeric digits, got {currency!r}")


@dataclass(frozen=True)
class PaymentRequest:
    """What the cash register asks the terminal to do."""

    pos_number: int
    amount_minor: int
    answer_flag: AnswerFlag = AnswerFlag.FULL
    mode: str = MODE_CARD
    type: TransactionType = TransactionType.DEBIT
    currency: str = "978"
    private: str = " " * PRIVATE_LENGTH
    delay: Delay = Delay.END_OF_TRANSACTION
    authorisation: Authorisation = Authorisation.TERMINAL_DECIDES

    def __post_init__(self) -> None:
        _check_common(self.pos_number, self.amount_minor, self.currency)
        _check_mode(self.mode)
        object.__setattr__(self, "private", _check_private(self.private))
        for name, kind in (("answer_flag", AnswerFlag), ("type", TransactionType),
                           ("delay", Delay), ("authorisation", Authorisation)):
            object.__setattr__(self, name, _enum(kind, getattr(self, name), name))

    def encode(self) -> bytes:
        text = (f"{self.pos_number:02d}{self.amount_minor:08d}{self.answer_flag.value}{self.mode}"
                f"{self.type.value}{self.currency}{self.private}{self.delay.value}{self.authorisation.value}")
        assert len(text) == REQUEST_LENGTH, text
        return text.encode("ascii")

    @classmethod
    def decode(cls, data: bytes) -> "PaymentRequest":
        if len(data) != REQUEST_LENGTH:
            raise ProtocolError(f"a request has {REQUEST_LENGTH} characters, got {len(data)}")
        text = _printable(data, "request")
        return cls(
            pos_number=_digits(text, 0, 2, "POS number"),
            amount_minor=_digits(text, 2, 8, "amount"),
            answer_flag=text[10],  # type: ignore[arg-type]  # checked in __post_init__
            mode=text[11],
            type=text[12],  # type: ignore[arg-type]
            currency=text[13:16],
            private=text[16:26],
            delay=text[26:30],  # type: ignore[arg-type]
            authorisation=text[30:34],  # type: ignore[arg-type]
        )

    def describe(self) -> str:
        return (f"request POS {self.pos_number:02d}: {self.type.name.lower()} {_money(self.amount_minor)} "
                f"currency {self.currency}, mode {self.mode!r}, {self.answer_flag.name.lower()} answer, "
                f"delay {self.delay.value}, authorisation {self.authorisation.value}, "
                f"private {self.private.strip()!r}")


@dataclass(frozen=True)
class PaymentAnswer:
    """What the terminal says about a request: short, or full (E+) with the report field."""

    pos_number: int
    status: str                 # one digit; Status.SUCCESS / Status.FAILURE are the known ones
    amount_minor: int
    mode: str = MODE_CARD
    currency: str = "978"
    private: str = " " * PRIVATE_LENGTH
    report: str | None = None   # 55 characters in a full answer, None in a short one

    def __post_init__(self) -> None:
        _check_common(self.pos_number, self.amount_minor, self.currency)
        _check_mode(self.mode)
        if len(self.status) != 1 or not self.status.isascii() or not self.status.isdigit():
            raise ProtocolError(f"status must be one digit, got {self.status!r}")
        object.__setattr__(self, "private", _check_private(self.private))
        if self.report is not None:
            if len(self.report) > REPORT_LENGTH or any(c < " " or c > "~" for c in self.report):
                raise ProtocolError(f"report must be at most {REPORT_LENGTH} printable characters")
            object.__setattr__(self, "report", self.report.ljust(REPORT_LENGTH))

    @property
    def approved(self) -> bool:
        return self.status == Status.SUCCESS.value

    @property
    def full(self) -> bool:
        return self.report is not None

    def encode(self) -> bytes:
        text = f"{self.pos_number:02d}{self.status}{self.amount_minor:08d}{self.mode}"
        if self.report is not None:
            text += self.report
        text += f"{self.currency}{self.private}"
        assert len(text) in (SHORT_ANSWER_LENGTH, FULL_ANSWER_LENGTH), text
        return text.encode("ascii")

    @classmethod
    def decode(cls, data: bytes) -> "PaymentAnswer":
        if len(data) not in (SHORT_ANSWER_LENGTH, FULL_ANSWER_LENGTH):
            raise ProtocolError(
                f"an answer has {SHORT_ANSWER_LENGTH} (short) or {FULL_ANSWER_LENGTH} (full) characters, "
                f"got {len(data)}")
        text = _printable(data, "answer")
        report = text[12:67] if len(text) == FULL_ANSWER_LENGTH else None
        tail = text[67:] if report is not None else text[12:]
        return cls(
            pos_number=_digits(text, 0, 2, "POS number"),
            status=text[2],
            amount_minor=_digits(text, 3, 8, "amount"),
            mode=text[11],
            report=report,
            currency=tail[0:3],
            private=tail[3:13],
        )

    def describe(self) -> str:
        meaning = {"0": "success", "7": "failure"}.get(self.status, "unknown status")
        text = (f"{'full' if self.full else 'short'} answer POS {self.pos_number:02d}: status {self.status} "
                f"({meaning}) {_money(self.amount_minor)} currency {self.currency}, mode {self.mode!r}, "
                f"private {self.private.strip()!r}")
        if self.report is not None:
            text += f", card {mask_card_number(self.report)!r}"
        return text


def mask_card_number(report: str) -> str:
    """The card number at the start of a report field, with all but its last 4 digits hidden.

    Terminals may put the full PAN in the report; it must never be stored or logged.
    """
    first = report.strip().split(" ")[0] if report.strip() else ""
    digits = [i for i, c in enumerate(first) if c.isdigit()]
    hide = set(digits[:-4])
    return "".join("*" if i in hide else c for i, c in enumerate(first))


def _money(amount_minor: int) -> str:
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"
