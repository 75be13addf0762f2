"""Card-payment contracts of the offices (seed 000's first step): acquirer, contract number, valid from/to.

A contract comes before any application: submitting one for a service step needs a
contract of the office valid on that day.  Registering one is audited
(`card_contract.add`); a contract is never edited, a new one is registered instead.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from sqlalchemy import Connection, and_, or_, select
from sqlalchemy.exc import IntegrityError

from hub.activation.errors import ActivationError, ContractExists
from hub.audit.log import record
from hub.store.tables_activation import card_contracts
from hub.store.timeutil import now_iso
from hub.users.scope import Scope
from protocol import card_numbers

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(text: str | None, field: str, *, required: bool) -> str | None:
    typed = (text or "").strip()
    if not typed:
        if required:
            raise ActivationError(field, "day_required", f"give {field} as a day (YYYY-MM-DD)")
        return None
    try:
        if not _DAY.match(typed):
            raise ValueError
        return dt.date.fromisoformat(typed).isoformat()
    except ValueError:
        raise ActivationError(field, "day_format", f"{field} must be a day written YYYY-MM-DD, not {typed!r}",
                              value=typed) from None


def clean_office(office: str | None) -> str:
    """An office as desks are enrolled for it: 1-64 characters, spaces allowed ("Riga 1"), no control characters."""
    typed = (office or "").strip()
    if not 1 <= len(typed) <= 64 or any(unicodedata.category(c) == "Cc" for c in typed):
        raise ActivationError("office", "office_format", f"office {typed[:80]!r} must be 1-64 characters without "
                              "control characters, as its desks were enrolled", office=typed[:80])
    return typed


def _text(value: str | None, field: str, limit: int) -> str:
    typed = " ".join((value or "").split())
    if not typed:
        raise ActivationError(field, "text_required", f"give the {field.replace('_', ' ')}")
    if len(typed) > limit:
        raise ActivationError(field, "text_too_long", f"the {field.replace('_', ' ')} may have at most {limit} "
                              "characters", limit=limit)
    if card_numbers.contains(typed):
        raise ActivationError(field, "card_number", "a card number is not allowed here: a full card number is "
                              "never stored")
    return typed


def add_contract(conn: Connection, *, office: str, acquirer: str, contract_no: str, valid_from: str,
                 valid_to: str | None, actor: str) -> dict[str, Any]:
    """Register a contract; ContractExists if the office has this acquirer's number already."""
    row = {"office": clean_office(office), "acquirer": _text(acquirer, "acquirer", 200),
           "contract_no": _text(contract_no, "contract_no", 64),
           "valid_from": _day(valid_from, "valid_from", required=True),
           "valid_to": _day(valid_to, "valid_to", required=False)}
    if row["valid_to"] is not None and row["valid_to"] < row["valid_from"]:
        raise ActivationError("valid_to", "valid_to_before_from", f"the contract ends ({row['valid_to']}) before it "
                              f"starts ({row['valid_from']})", valid_from=row["valid_from"], valid_to=row["valid_to"])
    exists = conn.execute(select(card_contracts.c.id).where(
        card_contracts.c.office == row["office"], card_contracts.c.acquirer == row["acquirer"],
        card_contracts.c.contract_no == row["contract_no"])).first()
    if exists:
        raise ContractExists("contract_no", "contract_exists", f"office {row['office']} has registered contract "
                             f"{row['contract_no']} of {row['acquirer']} already", **row)
    try:
        with conn.begin_nested():
            made = conn.execute(card_contracts.insert().values(**row, created_at=now_iso(), created_by=actor))
    except IntegrityError:      # registered meanwhile by someone else
        raise ContractExists("contract_no", "contract_exists", f"office {row['office']} has registered contract "
                             f"{row['contract_no']} of {row['acquirer']} already", **row) from None
    contract_id = int(made.inserted_primary_key[0])
    record(conn, actor, "card_contract.add", f"office:{row['office']}", {**row, "id": contract_id})
    return {"id": contract_id, **row}


def contracts(conn: Connection, scope: Scope, office: str | None = None) -> list[dict[str, Any]]:
    """The contracts of the offices in `scope` (of `office` only, if given), newest first."""
    query = select(card_contracts).where(scope.filter(card_contracts.c.office))
    if office:
        query = query.where(card_contracts.c.office == office)
    return [dict(r) for r in conn.execute(query.order_by(card_contracts.c.office, card_contracts.c.id.desc())).mappings()]


def valid_contract(conn: Connection, office: str, day: dt.date) -> dict[str, Any] | None:
    """The office's contract valid on `day` that runs longest (open-ended first), or None."""
    text = day.isoformat()
    rows = conn.execute(select(card_contracts).where(
        card_contracts.c.office == office, card_contracts.c.valid_from <= text,
        or_(card_contracts.c.valid_to.is_(None), and_(card_contracts.c.valid_to >= text)))).mappings().all()
    if not rows:
        return None
    return dict(max(rows, key=lambda r: (r["valid_to"] is None, r["valid_to"] or "", r["id"])))


def covered_until(conn: Connection, office: str, day: dt.date) -> tuple[bool, str | None]:
    """Whether the office has a contract valid on `day`, and the last day its contracts cover
    without a gap from then on (None: open-ended).  A contract registered to follow the current
    one carries the desks on past the current one's end without the hub telling them again."""
    current = valid_contract(conn, office, day)
    if current is None:
        return False, None
    end = current["valid_to"]
    rows = conn.execute(select(card_contracts.c.valid_from, card_contracts.c.valid_to).where(
        card_contracts.c.office == office).order_by(card_contracts.c.valid_from)).all()
    extended = True
    while end is not None and extended:
        extended = False
        following = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()
        for valid_from, valid_to in rows:
            if valid_from <= following and (valid_to is None or valid_to > end):
                end, extended = valid_to, True
                if end is None:
                    break
    return True, end
