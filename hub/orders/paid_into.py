"""The bank account a payment order is paid into: named by the order, or by its catalogue positions.

An order may name its account (`account`, an IBAN); otherwise it takes the one its positions
name in the published fee catalogue.  Positions paid into different accounts cannot make one
order, and an order naming one account while its positions name another is refused: a
payer's transfer would land where the office does not look for it.  The account must be one
of the order's office (hub/finance/accounts.py), active on the day the order is made.
A refusal carries a `Reason` (hub/reasons.py): English in the API and the CLI, the reader's
language on a page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from hub.errors import InvalidInput
from hub.finance import accounts
from hub.reasons import Reason
from protocol.ids import iban as iban_ids


class AccountRefused(ValueError, InvalidInput):
    """The order's account cannot be used; the message says why, `reason` says it in any language."""

    def __init__(self, reason: Reason):
        super().__init__(reason)
        self.reason = reason


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
        listed = "; ".join(f"{code}: {iban_ids.format(iban)}" for code, iban in sorted(by_position.items()))
        raise AccountRefused(Reason("orders.reason.account_positions_differ", "the positions are paid into different "
                                    "accounts ({listed}): make one order per account", listed=listed))
    if named and distinct and distinct[0] != named:
        raise AccountRefused(Reason("orders.reason.account_not_positions", "the order names account {iban}, but its "
                                    "positions are paid into {positions}: leave the account out, or name that one",
                                    iban=iban_ids.format(named), positions=iban_ids.format(distinct[0])))
    iban = named or (distinct[0] if distinct else None)
    if iban is None:
        return None
    account = accounts.account_by_iban(conn, iban)
    office = columns.get("office")
    if account is None or (office is not None and account.office != office):
        if office is None:
            raise AccountRefused(Reason("orders.reason.account_of_no_office", "{iban} is not a bank account of any "
                                        "office (see GET /api/v1/accounts or `counterpay hub account list`)",
                                        iban=iban_ids.format(iban)))
        raise AccountRefused(Reason("orders.reason.account_not_of_office", "{iban} is not a bank account of office "
                                    "{office} (see GET /api/v1/accounts or `counterpay hub account list`)",
                                    iban=iban_ids.format(iban), office=office))
    if office is None:
        raise AccountRefused(Reason("orders.reason.account_office_missing", "an order paid into {iban} names its "
                                    "office ({office})", iban=iban_ids.format(iban), office=account.office))
    day = today or dt.date.today()
    if not account.active_on(day):
        raise AccountRefused(Reason("orders.reason.account_inactive", "account {iban} of office {office} is not in "
                                    "use on {day} (active {active_from} to {active_to})", iban=account.formatted_iban,
                                    office=office, day=day.isoformat(), active_from=account.active_from or "…",
                                    active_to=account.active_to or "…"))
    return account.iban
