"""The payments search as the console's URL carries it: query parameters read into a
`PaymentFilter` within the viewer's offices, each bad value named for the field it came from.

Amounts are typed as people write them ('12.50', '1 234,56') in the hub's currency; dates
as YYYY-MM-DD (what `<input type=date>` sends).  The same parameters serve the list, its
next pages and the CSV export, so a link to any of them can be shared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

from protocol.domain import Tender
from protocol.money import Money, MoneyError
from hub.linking.search import PaymentFilter
from hub.users.scope import Scope

FIELDS = ("date_from", "date_to", "office", "agent", "case", "reference", "payer", "tender", "status",
          "amount_min", "amount_max", "sort")
STATUSES = ("linked", "unlinked", "voided")
SORTS = ("-captured_at", "captured_at", "-amount", "amount")
TENDERS = tuple(t.value for t in Tender)


@dataclass
class Search:
    filter: PaymentFilter
    typed: dict[str, str]                                       # what was typed, to show it again
    errors: dict[str, tuple[str, dict]] = field(default_factory=dict)

    def query(self, **override: str | None) -> str:
        """The URL query of this search (as typed), with `override` applied."""
        from urllib.parse import urlencode
        values = {k: v for k, v in (self.typed | override).items() if v}
        return urlencode(values)


def _date(value: str, name: str, errors) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        errors[name] = ("payments.error.date", {"value": value})
        return None


def _amount(value: str, name: str, currency: str, errors) -> int | None:
    if not value:
        return None
    try:
        return Money.parse(value, currency).minor
    except MoneyError:
        errors[name] = ("payments.error.amount", {"value": value})
        return None


def read_search(params: Mapping[str, str], scope: Scope, currency: str, *, limit: int = 50,
                status: str | None = None) -> Search:
    typed = {name: (params.get(name) or "").strip() for name in FIELDS}
    if status:
        typed["status"] = status
    errors: dict[str, tuple[str, dict]] = {}
    f = PaymentFilter(limit=limit, offices=scope.offices, cursor=params.get("cursor") or None)
    f.date_from = _date(typed["date_from"], "date_from", errors)
    f.date_to = _date(typed["date_to"], "date_to", errors)
    f.amount_min = _amount(typed["amount_min"], "amount_min", currency, errors)
    f.amount_max = _amount(typed["amount_max"], "amount_max", currency, errors)
    for name in ("office", "agent", "case", "reference", "payer"):
        setattr(f, name, typed[name] or None)
    if typed["tender"] and typed["tender"] not in TENDERS:
        errors["tender"] = ("payments.error.choice", {})
    else:
        f.tender = typed["tender"] or None
    if typed["status"] and typed["status"] not in STATUSES:
        errors["status"] = ("payments.error.choice", {})
    else:
        f.status = typed["status"] or None
    f.sort = typed["sort"] if typed["sort"] in SORTS else None
    return Search(f, typed, errors)
