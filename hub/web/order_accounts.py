"""The bank accounts the order forms offer (new order, change order), and the one an order names.

A form offers the accounts in use today of the offices the order may belong to: its own
office's when it has one, else those of the user's offices (every office's, for staff of all).
Whether a choice fits the order's positions and office is the service's to say
(hub/orders/paid_into.py); the form only keeps a person from typing an IBAN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from hub.finance.accounts import BankAccount, account_by_iban, accounts_of_office, offices_with_accounts
from hub.users.scope import Scope


@dataclass(frozen=True)
class OfficeAccounts:
    office: str
    accounts: list[BankAccount]


def account_choices(conn: Connection, scope: Scope, offices: list[str] | None = None,
                    day: dt.date | None = None) -> list[OfficeAccounts]:
    """The accounts in use on `day` (today) of `offices` (default: every office `scope` holds an account of)."""
    day = day or dt.date.today()
    choices = []
    for office in offices if offices is not None else offices_with_accounts(conn, scope):
        if not scope.allows(office):
            continue
        active = [account for account in accounts_of_office(conn, office) if account.active_on(day)]
        if active:
            choices.append(OfficeAccounts(office, active))
    return choices


def order_account_of(conn: Connection, order: dict) -> BankAccount | None:
    """The account the order is paid into, as the detail page shows it (None: it names none)."""
    return account_by_iban(conn, order["account_iban"]) if order.get("account_iban") else None
