"""Schemas of every message type on the wire, and `validate_body` that names bad fields.

Agent → hub on `…/events`: payment.captured, payment.voided, eod.report,
diagnostics.report, and certificate.request (a CSR for a new TLS key, before the
certificate expires; answered on `…/cmd` by certificate.answer, never stored as an event).  Agent → broker on `…/state`: birth (retained), will.
Hub → agent: acks on `…/acks` (one message acks every event of that agent the hub
committed in one batch, each by its message id), command on `…/cmd`.
Hub → every desk of an office, retained on `cp/v1/broadcast/orders/<office>`:
order.state, the payment orders its desks must no longer take as printed (envelope
agent "hub": a broadcast has no one addressee, and no agent may be called "hub"); and
on `cp/v1/broadcast/operators/<office>`: desk.roster, who may log in at its desks
(protocol/wire/roster.py).  Events name the operator logged in at the desk.
Hub → every desk of an office, retained on `cp/v1/broadcast/cards/<office>`:
card.activation, the service steps where its desks may take cards (hub/activation/feed.py).
A full card number can never pass: `masked_pan` may show at most 4 digits.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from protocol.domain import ReferenceFormatValue, TenderValue
from protocol.wire.errors import WireError
from protocol.wire.roster import DeskRoster
from protocol.wire.strict import Strict, listed_once

Str64 = Annotated[str, Field(max_length=64)]
Str200 = Annotated[str, Field(max_length=200)]
# A reference as payers' banks carry it: the EPC QR's unstructured remittance text, the
# longest of the formats, holds at most 140 characters (EPC069-12 field 11).
ReferenceText = Annotated[str, Field(max_length=140)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
MinorUnits = Annotated[int, Field(ge=0, le=10**13)]
# A batch's net total: refunds of earlier days' payments can take it below zero.
NetMinorUnits = Annotated[int, Field(ge=-10**13, le=10**13)]

# Every integer the hub stores fits its column: BIGINT (signed 64 bits) for sequences,
# incarnations and counts, INTEGER (signed 32 bits) for the agents' outbox gauges.  A
# value the schema lets through but the store cannot hold would fail every batch it is in.
MAX_BIGINT = 2**63 - 1
MAX_INTEGER = 2**31 - 1
Count = Annotated[int, Field(ge=0, le=MAX_BIGINT)]
Gauge = Annotated[int, Field(ge=0, le=MAX_INTEGER)]
DiagnosticInt = Annotated[int, Field(ge=-MAX_BIGINT, le=MAX_BIGINT)]
_DIGIT = re.compile(r"\d")


class Reference(Strict):
    format: ReferenceFormatValue
    value: ReferenceText | None = None


class Payer(Strict):
    name: Str200 | None = None
    id: Str64 | None = None


class PositionDiscount(Strict):
    """A discount the clerk chose for a position, with the reason given (a certificate, a category)."""
    name: Annotated[str, Field(min_length=1, max_length=200)]
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    amount_minor: Annotated[int, Field(ge=1, le=10**13)]


class Position(Strict):
    code: Str64
    name: Str200 = ""
    quantity: int = Field(default=1, ge=1, le=10_000)
    unit_minor: MinorUnits
    vat_rate_bp: int = Field(default=0, ge=0, le=10_000)
    discount: PositionDiscount | None = None

    @model_validator(mode="after")
    def _discount_within_line(self) -> "Position":
        if self.discount is not None and self.discount.amount_minor > self.quantity * self.unit_minor:
            raise ValueError(f"position {self.code}: the discount is more than the line costs")
        return self


class HandlingFee(Strict):
    """The office's handling fee on this payment: charged with it (its `tender` is the payment's,
    and it is in the payment's amount) or taken apart in cash (not in the amount)."""
    amount_minor: Annotated[int, Field(ge=1, le=10**13)]
    tender: TenderValue
    name: Str200 | None = None


class CardDetails(Strict):
    masked_pan: Annotated[str, Field(max_length=32)] | None = None
    card_type: Str64 | None = None
    terminal_id: Str64 | None = None
    trace_no: Str64 | None = None
    receipt_no: Str64 | None = None
    auth_code: Str64 | None = None
    recovered: bool = False
    # The agent's number of the terminal batch open when the payment was started (the same
    # number its eod.report for that batch carries); absent from agents older than it.
    batch_no: Count | None = None

    @field_validator("masked_pan")
    @classmethod
    def _at_most_four_digits(cls, value: str | None) -> str | None:
        if value is not None and len(_DIGIT.findall(value)) > 4:
            raise ValueError("masked_pan may show at most the last 4 digits; a full card number is never sent")
        return value


class PaymentCaptured(Strict):
    payment_id: Str64                 # the intent id, fixed at creation: the dedup key
    receipt_id: Str64
    office: Str64
    kind: Literal["payment", "refund"] = "payment"
    amount_minor: MinorUnits
    currency: Currency
    tender: TenderValue
    cash_given_minor: MinorUnits | None = None
    change_minor: MinorUnits | None = None
    reference: Reference
    order_id: Str64 | None = None
    case_ref: ReferenceText | None = None
    payer: Payer | None = None
    positions: list[Position] = Field(default_factory=list, max_length=200)
    card: CardDetails | None = None
    operator: Str64 | None = None
    captured_at: Str64
    handling_fee: HandlingFee | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None   # the receipt's language
    # A refund at the counter: the payment it pays back and the supervisor who approved it
    # (absent from older agents and from payments).
    refund_of: Str64 | None = None
    approved_by: Str64 | None = None

    @model_validator(mode="after")
    def _totals_add_up(self) -> "PaymentCaptured":
        # Only payments that carry a discount or a fee (desks that compute the amount from their
        # positions) are held to it: an older desk's positions were a note, not the amount.
        discounted = any(p.discount is not None for p in self.positions)
        if not (discounted or self.handling_fee):
            return self
        fee = self.handling_fee.amount_minor if self.handling_fee and self.handling_fee.tender == self.tender else 0
        lines = sum(p.quantity * p.unit_minor - (p.discount.amount_minor if p.discount else 0) for p in self.positions)
        if self.positions and lines + fee != self.amount_minor:
            raise ValueError(f"amount_minor {self.amount_minor} is not what the positions ({lines}) and the "
                             f"handling fee charged with the payment ({fee}) add up to")
        if not self.positions and fee > self.amount_minor:
            raise ValueError("the handling fee charged with the payment is more than its amount")
        return self


class PaymentVoided(Strict):
    payment_id: Str64
    amount_minor: MinorUnits
    currency: Currency
    reason: Str200
    terminal_receipt_no: Str64 | None = None
    voided_at: Str64
    operator: Str64 | None = None          # who was logged in at the desk (absent from older agents)
    approved_by: Str64 | None = None       # the supervisor whose login approved the void
    void_id: Str64 | None = None           # the void's own intent id at the agent
    receipt_id: Str64 | None = None        # the void receipt the desk printed


class TenderTotal(Strict):
    count: Count
    total_minor: NetMinorUnits


EOD_PAYMENT_IDS = 500
"""At most this many payment ids in one eod.report (about 20 KB); a busier batch sends none."""


class EodReport(Strict):
    """A closed terminal batch: the terminal's totals and the agent's journal for it.

    The fields after `closed_at` came later and are optional, so a report of an older
    agent still passes: without `batch_no` the hub compares by the time window
    (`opened_at`..`closed_at`), without `payment_ids` it cannot name single payments."""
    batch_id: Str64
    currency: Currency
    terminal_count: Count | None = None
    terminal_total_minor: NetMinorUnits | None = None
    journal: dict[TenderValue, TenderTotal]
    mismatch: bool
    closed_at: Str64
    office: Str64 | None = None
    terminal_id: Str64 | None = None
    batch_no: Count | None = None
    opened_at: Str64 | None = None
    per_scheme: dict[Str64, TenderTotal] | None = Field(default=None, max_length=20)  # the terminal's, by card scheme
    payment_ids: list[Str64] | None = Field(default=None, max_length=EOD_PAYMENT_IDS)  # the journal's card payments
    operator: Str64 | None = None          # who was logged in at the desk when the batch closed


class DiagnosticsReport(Strict):
    request_id: Str64 | None = None
    info: dict[Str64, str | DiagnosticInt | bool | None] = Field(default_factory=dict, max_length=100)


class Ack(Strict):
    """The hub's answer for one event, by the event's message id."""
    for_id: Str64
    for_seq: Count
    status: Literal["stored", "duplicate", "rejected"]
    reason: Str200 | None = None


ACKS_PER_MESSAGE = 150
"""Even with a 200-character reason each, 150 acks stay under the 64 KiB message limit."""


class Acks(Strict):
    acks: list[Ack] = Field(min_length=1, max_length=ACKS_PER_MESSAGE)


class Command(Strict):
    request_id: Str64
    command: Literal["replay", "end_of_day", "diagnostics"]
    from_seq: Count | None = None


class Birth(Strict):
    incarnation: Count
    online: Literal[True] = True
    version: Str64
    mode: Str64
    outbox_depth: Gauge
    oldest_age_s: Gauge | None = None


class Will(Strict):
    incarnation: Count
    online: Literal[False] = False


ORDER_STATE_ENTRIES = 1000
"""Orders one office's order.state lists at most; the hub keeps the newest and counts the rest
in `omitted` (hub/orders/state_feed.py says which orders are listed at all)."""
ORDER_STATE_MAX_BYTES = 256 * 1024
"""An order.state envelope is at most this big: a thousand entries with long reasons in
Greek fit, and it stays well under the broker's packet limit (hub/pki/broker_config.py)."""
CancelReason = Annotated[str, Field(min_length=1, max_length=400)]   # as hub/orders/changes.py takes it


class OrderStateEntry(Strict):
    """One order the desks must not take as printed.

    'cancelled': refused whatever code names it, with the back office's `reason`.
    'changed': its amount changed after its notice was printed; a code asking another
    amount than `amount_minor` (None: an open amount now) is refused, the new notice is paid.
    """
    order_id: Str64
    state: Literal["cancelled", "changed"]
    at: Str64                                  # when it was cancelled, or its amount last changed
    reference: ReferenceText | None = None     # its RF or pagoPA notice number, as printed
    reason: CancelReason | None = None
    amount_minor: MinorUnits | None = None
    currency: Currency | None = None

    @model_validator(mode="after")
    def _reason_for_cancelled(self) -> "OrderStateEntry":
        if self.state == "cancelled" and self.reason is None:
            raise ValueError(f"cancelled order {self.order_id} needs the reason the desk shows")
        return self


class OrderState(Strict):
    """Every order of `office` (and of no office) the desks must refuse: the whole set, not a change."""
    office: Annotated[str, Field(min_length=1, max_length=64)]
    orders: list[OrderStateEntry] = Field(default_factory=list, max_length=ORDER_STATE_ENTRIES)
    omitted: Count = 0                         # entries left out to stay within the caps (oldest first)

    @field_validator("orders")
    @classmethod
    def _one_entry_per_order(cls, entries: list[OrderStateEntry]) -> list[OrderStateEntry]:
        seen: set[str] = set()
        for entry in entries:
            if entry.order_id in seen:
                raise ValueError(f"order {entry.order_id} is listed twice")
            seen.add(entry.order_id)
        return entries


PEM_MAX = 8192
"""A CSR or certificate for an EC P-256 or RSA-4096 key is well under 4 KiB."""
Serial = Annotated[str, Field(pattern=r"^[0-9a-f]{1,40}$")]


class CertificateRequest(Strict):
    """Agent → hub: issue a certificate for a new TLS key in place of `current_serial`'s.

    Sent over the connection the current certificate authenticates; `request_id` names
    the attempt, and the same CSR asked again gets the same certificate again."""
    request_id: Str64
    csr_pem: Annotated[str, Field(min_length=1, max_length=PEM_MAX)]
    current_serial: Serial


class CertificateAnswer(Strict):
    """Hub → agent: the new certificate ('issued'), or why not ('refused', with `reason`)."""
    request_id: Str64
    status: Literal["issued", "refused"]
    certificate_pem: Annotated[str, Field(max_length=PEM_MAX)] | None = None
    serial: Serial | None = None
    not_after: Str64 | None = None
    reason: Str200 | None = None

    @model_validator(mode="after")
    def _certificate_when_issued(self) -> "CertificateAnswer":
        if self.status == "issued" and not (self.certificate_pem and self.serial):
            raise ValueError("an issued answer carries certificate_pem and serial")
        if self.status == "refused" and not self.reason:
            raise ValueError("a refused answer says why in reason")
        return self


CARD_ACTIVATION_ENTRIES = 2000
"""Service steps one office's card.activation lists at most (a catalogue holds at most 500 price lists)."""
CARD_ACTIVATION_MAX_BYTES = 256 * 1024
StepCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class ActiveStep(Strict):
    """A service step (a price list's code) whose card payments a reviewer approved for the office."""
    service: StepCode
    since: Str64                               # when it became active
    contract_valid_to: Day | None = None       # the card contract's last day: no cards after it, offline too


class CardActivation(Strict):
    """Every service step where `office`'s desks may take cards: the whole set, not a change."""
    office: Annotated[str, Field(min_length=1, max_length=64)]
    active: list[ActiveStep] = Field(default_factory=list, max_length=CARD_ACTIVATION_ENTRIES)

    @field_validator("active")
    @classmethod
    def _one_entry_per_step(cls, entries: list[ActiveStep]) -> list[ActiveStep]:
        return listed_once(entries, lambda entry: entry.service, "service step")


SCHEMAS: dict[str, type[BaseModel]] = {
    "payment.captured": PaymentCaptured,
    "payment.voided": PaymentVoided,
    "eod.report": EodReport,
    "diagnostics.report": DiagnosticsReport,
    "acks": Acks,
    "command": Command,
    "birth": Birth,
    "will": Will,
    "order.state": OrderState,
    "certificate.request": CertificateRequest,
    "certificate.answer": CertificateAnswer,
    "card.activation": CardActivation,
    "desk.roster": DeskRoster,
}
TYPES = frozenset(SCHEMAS)
EVENT_TYPES = frozenset({"payment.captured", "payment.voided", "eod.report", "diagnostics.report"})
REQUEST_TYPES = frozenset({"certificate.request"})
"""Agent → hub on `…/events` too, but answered at once and never stored as events."""


TYPE_OF = {schema: type_ for type_, schema in SCHEMAS.items()}
Message = TypeVar("Message", bound=BaseModel)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
                     for error in exc.errors()[:5])


def validate_body(type_: str, body: Any) -> BaseModel:
    """Return the typed body or raise WireError naming every bad field."""
    schema = SCHEMAS.get(type_)
    if schema is None:
        raise WireError("unknown_type", f"message type {type_!r} is unknown (known: {', '.join(sorted(TYPES))})")
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        raise WireError("bad_body", f"{type_} body is invalid: {_problems(exc)}") from None


def build(schema: type[Message], **fields: Any) -> Message:
    """Construct an outgoing message, or raise WireError naming every bad field, as the hub would.

    >>> build(Will, incarnation=3).online
    False
    >>> build(Will, incarnation=-1)
    Traceback (most recent call last):
    ...
    protocol.wire.errors.WireError: will body is invalid: incarnation: Input should be greater than or equal to 0
    """
    try:
        return schema(**fields)
    except ValidationError as exc:
        raise WireError("bad_body", f"{TYPE_OF[schema]} body is invalid: {_problems(exc)}") from None


def body_of(message: BaseModel) -> dict[str, Any]:
    """The body as it travels: every field of its schema, nulls and defaults included."""
    return message.model_dump(mode="json")
