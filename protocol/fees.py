"""What a basket of fee positions costs: lines, discounts, VAT, the handling fee and the total.

Pure arithmetic on integer minor units, shared by the desk (which computes the amount and
prints it) and the hub (which checks an event's totals and exports its lines), so both
always get the same figures.  Nothing here passes through a float.

Rounding, everywhere: to the minor unit, half up (0.5 of a cent becomes a cent), done in
integers.  Prices include VAT (as in the Latvian service catalogue, seed 001), so a line's
VAT is the part of its gross after discount that is VAT: gross × rate / (1 + rate).

    >>> vat_of(1000, 2200)          # 10.00 at 22 % holds 1.80 VAT
    180
    >>> rule = HandlingFeeRule(fixed_minor=5, percent_bp=99)     # 0.99 % + 0.05 zł (DOMAIN.md)
    >>> rule.fee_for(10_000)        # 100.00 zł: 0.99 + 0.05
    104
    >>> HandlingFeeRule(percent_bp=150, min_minor=100, max_minor=500).fee_for(1_000)   # 0.15 → minimum
    100
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

BASIS_POINTS = 10_000
"""Percentages are in basis points: 2100 is 21 %, 99 is 0.99 %."""

COLLECT_WITH_PAYMENT = "with_payment"
"""The handling fee is added to the amount charged on the payment's own tender."""
COLLECT_APART = "apart"
"""The handling fee is taken apart in cash (offices that must not charge a fee on the fee)."""
COLLECT_MODES = (COLLECT_WITH_PAYMENT, COLLECT_APART)


def share_half_up(amount_minor: int, rate_bp: int) -> int:
    """`rate_bp` basis points of an amount, rounded half up to the minor unit."""
    return (amount_minor * rate_bp * 2 + BASIS_POINTS) // (2 * BASIS_POINTS)


def vat_of(gross_minor: int, rate_bp: int) -> int:
    """The VAT inside a price that includes it, half up: 1000 at 2200 bp (22 %) holds 180."""
    if rate_bp <= 0 or gross_minor <= 0:
        return 0
    divisor = BASIS_POINTS + rate_bp
    return (gross_minor * rate_bp * 2 + divisor) // (2 * divisor)


@dataclass(frozen=True)
class HandlingFeeRule:
    """An office's handling fee for one service: fixed and/or a percentage of what is paid,
    then held between a minimum and a maximum.  `tenders` are the tenders it is charged on;
    `collect` says whether it is charged with the payment or taken apart in cash."""

    fixed_minor: int = 0
    percent_bp: int = 0
    min_minor: int = 0
    max_minor: int | None = None
    tenders: tuple[str, ...] = ("card",)
    collect: str = COLLECT_WITH_PAYMENT
    name: str | None = None

    def fee_for(self, base_minor: int) -> int:
        """The fee on a payment of `base_minor` (what the positions cost after discounts)."""
        fee = self.fixed_minor + share_half_up(base_minor, self.percent_bp)
        if self.max_minor is not None:
            fee = min(fee, self.max_minor)
        return max(fee, self.min_minor)

    def applies_to(self, tender: str) -> bool:
        return tender in self.tenders

    def tender_for(self, tender: str) -> str:
        """The tender the fee is paid with: the payment's own, or cash when taken apart."""
        return "cash" if self.collect == COLLECT_APART else tender

    @classmethod
    def from_document(cls, document: dict) -> "HandlingFeeRule":
        """A rule from the catalogue's JSON (hub.catalogue.model.HandlingFee dumps this shape)."""
        return cls(fixed_minor=int(document.get("fixed_minor") or 0), percent_bp=int(document.get("percent_bp") or 0),
                   min_minor=int(document.get("min_minor") or 0),
                   max_minor=None if document.get("max_minor") is None else int(document["max_minor"]),
                   tenders=tuple(document.get("tenders") or ("card",)),
                   collect=str(document.get("collect") or COLLECT_WITH_PAYMENT), name=document.get("name"))


@dataclass(frozen=True)
class Discount:
    """A discount chosen at the desk for one line, with the reason the clerk gave."""

    name: str
    amount_minor: int
    reason: str = ""


def discount_amount(gross_minor: int, percent_bp: int | None = None, amount_minor: int | None = None) -> int:
    """What a catalogue discount (a percentage or a fixed amount) takes off a line; never more than the line."""
    if percent_bp is not None:
        return min(gross_minor, share_half_up(gross_minor, percent_bp))
    return min(gross_minor, amount_minor or 0)


@dataclass(frozen=True)
class Line:
    """One position of a basket: quantity × unit price (with VAT), less its discount."""

    code: str
    name: str
    quantity: int
    unit_minor: int
    vat_rate_bp: int = 0
    discount: Discount | None = None

    @property
    def gross_minor(self) -> int:
        return self.quantity * self.unit_minor

    @property
    def discount_minor(self) -> int:
        return self.discount.amount_minor if self.discount else 0

    @property
    def total_minor(self) -> int:
        return self.gross_minor - self.discount_minor

    @property
    def vat_minor(self) -> int:
        return vat_of(self.total_minor, self.vat_rate_bp)


@dataclass(frozen=True)
class Basket:
    """Lines and the handling fee: the figures a receipt prints and the total the desk charges."""

    lines: tuple[Line, ...]
    fee_minor: int = 0
    fee_tender: str | None = None          # the tender the fee is paid with; None without a fee
    tender: str = "card"                   # the payment's own tender
    fee_name: str | None = None

    @property
    def subtotal_minor(self) -> int:
        return sum(line.gross_minor for line in self.lines)

    @property
    def discount_minor(self) -> int:
        return sum(line.discount_minor for line in self.lines)

    @property
    def positions_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def fee_included(self) -> bool:
        """The fee is charged with the payment (on its tender), so it is in `amount_minor`."""
        return self.fee_minor > 0 and self.fee_tender == self.tender

    @property
    def amount_minor(self) -> int:
        """What this payment charges on its tender."""
        return self.positions_minor + (self.fee_minor if self.fee_included else 0)

    @property
    def fee_apart_minor(self) -> int:
        """The fee taken apart (in cash), not in `amount_minor`."""
        return self.fee_minor if self.fee_minor > 0 and not self.fee_included else 0

    @property
    def vat_minor(self) -> int:
        return sum(line.vat_minor for line in self.lines)

    def vat_by_rate(self) -> list[tuple[int, int, int]]:
        """(rate, gross after discounts, VAT) per VAT rate, lowest rate first."""
        rates: dict[int, list[int]] = {}
        for line in self.lines:
            entry = rates.setdefault(line.vat_rate_bp, [0, 0])
            entry[0] += line.total_minor
            entry[1] += line.vat_minor
        return [(rate, gross, vat) for rate, (gross, vat) in sorted(rates.items())]


def basket(lines: Iterable[Line], tender: str, rule: HandlingFeeRule | None = None) -> Basket:
    """The basket of `lines` paid with `tender`, with the handling fee `rule` gives (if it applies)."""
    lines = tuple(lines)
    if rule is None or not rule.applies_to(tender):
        return Basket(lines, tender=tender)
    positions = sum(line.total_minor for line in lines)
    fee = rule.fee_for(positions)
    if fee <= 0:
        return Basket(lines, tender=tender)
    return Basket(lines, fee, rule.tender_for(tender), tender, rule.name)

