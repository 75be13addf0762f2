"""What an export asks for, checked once for the CLI, the API and the console alike.

    ExportRequest.build("payments", date_from="2026-03-01", date_to="2026-03-31", office="ROMA-1",
                        channel="pagopa", date_by="payment", fmt="csv")

The period is inclusive at both ends and reads the payment date (`--date-by payment`,
the default) or the booking date on the bank statement (`--date-by booking`: only what
was reconciled with a statement has one).  Each export takes the filters that mean
something for it (`APPLICABLE`); any other is refused by name rather than ignored, so
nobody books a period believing a filter was applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from hub.errors import InvalidInput
from hub.finance.exports.columns import KINDS
from hub.users.scope import Scope

FORMATS = ("csv", "xlsx", "json")
DATE_BY = ("payment", "booking")
TENDERS = ("card", "cash", "pagopa", "transfer")
CHANNELS = ("counter", "pagopa", "bank")
STATUSES: dict[str, tuple[str, ...]] = {
    "payments": ("linked", "unlinked", "voided"),
    "entries": ("complete", "incomplete"),
    "flows": ("matched", "waiting", "anomaly", "ignored"),
    "anomalies": ("anomaly",),
}
APPLICABLE: dict[str, frozenset[str]] = {
    "payments": frozenset({"office", "account", "tender", "channel", "status"}),
    "entries": frozenset({"office", "account", "channel", "status"}),
    "flows": frozenset({"office", "account", "status"}),
    "anomalies": frozenset({"office", "account", "status"}),
}
MAX_DAYS = 3660
"""A period longer than ten years is a typing mistake (a year 2062 for 2026), not a request."""


class ExportRefused(ValueError, InvalidInput):
    """An export asked in a way that cannot be answered; the message names the field."""

    def __init__(self, field_name: str, message: str, code: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.code = code              # date | period | choice | not_applicable | office: the console's text


def _date(name: str, value: str | dt.date | None) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not value:
        raise ExportRefused(name, "a date is required (YYYY-MM-DD)", "date")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ExportRefused(name, f"{value!r} is not a date; write it YYYY-MM-DD", "date") from None


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise ExportRefused(name, f"{value!r} is not one of {', '.join(allowed)}", "choice")
    return value


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    date_from: dt.date
    date_to: dt.date
    date_by: str = "payment"
    fmt: str = "csv"
    office: str | None = None
    account: str | None = None
    tender: str | None = None
    channel: str | None = None
    status: str | None = None
    scope: Scope = field(default_factory=Scope.everything)

    @classmethod
    def build(cls, kind: str, *, date_from: str | dt.date | None, date_to: str | dt.date | None,
              date_by: str | None = None, fmt: str | None = None, office: str | None = None,
              account: str | None = None, tender: str | None = None, channel: str | None = None,
              status: str | None = None, scope: Scope | None = None) -> "ExportRequest":
        if kind not in KINDS:
            raise ExportRefused("kind", f"{kind!r} is not one of {', '.join(KINDS)}", "choice")
        start, end = _date("from", date_from), _date("to", date_to)
        if end < start:
            raise ExportRefused("to", f"the period ends ({end}) before it starts ({start})", "period")
        if (end - start).days > MAX_DAYS:
            raise ExportRefused("to", f"the period is longer than {MAX_DAYS} days", "period")
        given = {"office": (office or "").strip() or None,
                 "account": (account or "").replace(" ", "").upper() or None,
                 "tender": _one_of("tender", tender, TENDERS),
                 "channel": _one_of("channel", channel, CHANNELS),
                 "status": _one_of("status", status, STATUSES[kind])}
        for name, value in given.items():
            if value is not None and name not in APPLICABLE[kind]:
                raise ExportRefused(name, f"the {kind} export has no {name}; it filters by "
                                          f"{', '.join(sorted(APPLICABLE[kind]))}", "not_applicable")
        scope = scope or Scope.everything()
        if given["office"] is not None and not scope.allows(given["office"]):
            raise ExportRefused("office", f"office {given['office']!r} is not one of yours ({scope.describe()})",
                                "office")
        return cls(kind, start, end, _one_of("date-by", date_by, DATE_BY) or "payment",
                   _one_of("format", fmt, FORMATS) or "csv", scope=scope, **given)

    def offices(self) -> Scope:
        """The offices to read: the one asked for, within the caller's scope."""
        return Scope.of([self.office]) if self.office else self.scope

    def day_bounds(self) -> tuple[str, str]:
        """The period as text bounds [from, day after to) that compare with dates and RFC 3339 times."""
        return self.date_from.isoformat(), (self.date_to + dt.timedelta(days=1)).isoformat()

    def audit_details(self) -> dict:
        """What the audit log keeps of this export: the filter as asked, and the scope it ran in."""
        details = {k: v for k, v in asdict(self).items() if k not in ("scope",) and v is not None}
        details["date_from"], details["date_to"] = self.date_from.isoformat(), self.date_to.isoformat()
        details["scope"] = self.scope.describe()
        return details

    def file_name(self) -> str:
        return f"{self.kind}-{self.date_from.isoformat()}-{self.date_to.isoformat()}.{self.fmt}"
