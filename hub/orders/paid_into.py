"""The bank account a payment order is paid into: named by the order, or by its catalogue positions.

An order may name its account (`account`, an IBAN); otherwise it takes the one its positions
name in the published fee catalogue.  Positions paid into different accounts cannot make one
order, and an order naming one account while its positions name another is refused: a
payer's transfer would land where the office does not look for it.  The account must be one
of the order's office (hub/finance/accounts.py), active on the day the order is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from hub.errors import InvalidInput
from hub.finance import accounts
from protocol.ids import iban as iban_ids


class AccountRefused(ValueError, InvalidInput):
    """The order's account cannot be used; the message says why."""


def position_accounts(document: dict[str, Any] | None, codes: list[str]) -> dict[str, str]:
    """Position code → IBAN, for the codes whose catalogue position names an account."""
    if document is None or not codes:
        return {}
    wanted = set(codes)
    return {p["code"]: p["account"] for price_list in document["price_lists"] for p in price_list["positions"]
            if p["code"] in wanted and p.get("account")}


def order_account(conn: Connection, columns: dict[str, Any], document: dict[str, Any] | None,
                  codes: list[str], today: dt.date | None = None) -> str | None:
    """The IBAN the order is paid into (None: it names none), or AccountRefused."""
    named = columns.get("account_iban")
    by_position = position_accounts(document, codes)
    distinct = sorted(set(by_position.values()))
    if len(distinct) > 1:
        listed = "; ".join(f"{code} into {iban_ids.format(iban)}" for code, iban in sorted(by_position.items()))
        raise AccountRefused(f"the positions are paid into different accounts ({listed}): make one order per account")
    if named and distinct and distinct[0] != named:
        raise AccountRefused(f"the order names account {iban_ids.format(named)}, but its positions are paid into "
                             f"{iban_ids.format(distinct[0])}: leave the account out, or name that one")
    iban = named or (distinct[0] if distinct else None)
    if iban is None:
        return None
    account = accounts.account_by_iban(conn, iban)
    office = columns.get("office")
    if account is None or (office is not None and account.office != office):
        where = f"office {office}" if office else "any office"
        raise AccountRefused(f"{iban_ids.format(iban)} is not a bank account of {where} "
                             "(see GET /api/v1/accounts or `counterpay hub account list`)")
    if office is None:
        raise AccountRefused(f"an order paid into {iban_ids.format(iban)} names its office ({account.office})")
    day = today or dt.date.today()
    if not account.active_on(day):
        raise AccountRefused(f"account {account.formatted_iban} of office {office} is not in use on {day.isoformat()} "
                             f"(active {account.active_from or '…'} to {account.active_to or '…'})")
    return account.iban
