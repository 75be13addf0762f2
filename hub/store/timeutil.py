"""The one time format of the hub's tables: RFC 3339 UTC with milliseconds and 'Z'."""

from __future__ import annotations

import datetime as dt


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(dt.datetime.now(dt.timezone.utc))


def parse(text: str) -> dt.datetime:
    """Parse RFC 3339 (a 'Z' or an offset); naive input is read as UTC."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def normalise(text: str) -> str:
    """Any RFC 3339 time as the hub's sortable form."""
    return iso(parse(text))
