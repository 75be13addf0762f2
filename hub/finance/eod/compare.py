"""The verdict on one terminal batch: its reported figures against the card payments the hub holds.

Pure: no database.  The reported figures are the terminal's totals when it gave them,
else the agent's journal (a Concert terminal has no totals query).  The hub's figures
count payments less refunds, voided ones left out, which is how a terminal nets its
batch (a reversal takes the payment out).  Each currency is compared apart: the report
speaks for one, so card payments of the batch in another currency are a difference too.

A difference is a dict a person can read without the report:

    {"kind": "count",  "currency": "EUR", "reported": 3, "hub": 2}
    {"kind": "amount", "currency": "EUR", "reported": 4500, "hub": 3000}
    {"kind": "missing_at_hub", "payment_id": "…"}   the batch lists it, the hub has not got it (yet)
    {"kind": "not_in_batch", "payment_id": "…"}     the hub has it under this batch, the batch does not list it

Single payments can be named only when the report lists the journal's payment ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from protocol.domain import Tender

MATCHED, MISMATCH = "matched", "mismatch"
STATUSES = (MATCHED, MISMATCH)


@dataclass(frozen=True)
class Reported:
    source: str                # terminal | journal
    count: int | None          # None: the terminal gave an amount but no count
    total_minor: int


@dataclass
class Figures:
    count: int = 0
    total_minor: int = 0


@dataclass(frozen=True)
class HubPayment:
    payment_id: str
    currency: str
    amount_minor: int
    kind: str                  # payment | refund
    voided: bool


@dataclass(frozen=True)
class Verdict:
    status: str
    hub: Figures               # for the report's currency
    differences: list[dict[str, Any]] = field(default_factory=list)


def reported_of(body: Mapping[str, Any]) -> Reported:
    """What the report says the batch holds: the terminal's totals, or the journal's card totals."""
    if body.get("terminal_total_minor") is not None:
        return Reported("terminal", body.get("terminal_count"), body["terminal_total_minor"])
    card = (body.get("journal") or {}).get(Tender.CARD) or {"count": 0, "total_minor": 0}
    return Reported("journal", card["count"], card["total_minor"])


def hub_figures(found: Iterable[HubPayment]) -> dict[str, Figures]:
    """Currency → the batch's figures as the hub holds them."""
    figures: dict[str, Figures] = {}
    for payment in found:
        entry = figures.setdefault(payment.currency, Figures())
        if payment.voided:
            continue
        if payment.kind == "refund":
            entry.total_minor -= payment.amount_minor
        else:
            entry.count += 1
            entry.total_minor += payment.amount_minor
    return figures


def judge(currency: str, reported: Reported, found: list[HubPayment],
          listed_ids: list[str] | None) -> Verdict:
    """The verdict on a batch reported in `currency`; `listed_ids`: the journal's payment ids, if sent."""
    figures = hub_figures(found)
    hub = figures.get(currency, Figures())
    differences: list[dict[str, Any]] = []
    if reported.count is not None and reported.count != hub.count:
        differences.append({"kind": "count", "currency": currency, "reported": reported.count, "hub": hub.count})
    if reported.total_minor != hub.total_minor:
        differences.append({"kind": "amount", "currency": currency, "reported": reported.total_minor,
                            "hub": hub.total_minor})
    for other in sorted(set(figures) - {currency}):
        theirs = figures[other]
        if theirs.count or theirs.total_minor:
            differences.append({"kind": "count", "currency": other, "reported": 0, "hub": theirs.count})
            differences.append({"kind": "amount", "currency": other, "reported": 0, "hub": theirs.total_minor})
    if listed_ids is not None:
        held = {p.payment_id for p in found}
        listed = set(listed_ids)
        differences += [{"kind": "missing_at_hub", "payment_id": pid} for pid in listed_ids if pid not in held]
        differences += [{"kind": "not_in_batch", "payment_id": p.payment_id} for p in found
                        if p.payment_id not in listed]
    return Verdict(MISMATCH if differences else MATCHED, hub, differences)


def attention(status: str, closed_at: str) -> str:
    """The list order in one sortable text: descending, mismatches come first, newest first."""
    return ("1" if status == MISMATCH else "0") + closed_at
