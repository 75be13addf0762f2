"""Who a notice's bank transfer codes (EPC, ZBP) pay: the order's bank account, else the configured one.

The account an order is paid into (orders.account_iban, hub/orders/paid_into.py) wins, with its
holder as the payee's name; an order naming none falls back to `[orders] iban` and
`[orders] beneficiary` of the hub's configuration; with neither, a notice carries no such code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hub.config import Settings
from hub.finance.accounts import account_by_iban


@dataclass(frozen=True)
class Payee:
    iban: str           # compact
    name: str           # the beneficiary's name; may be empty (then no code can be made)


def payee_of(conn: Connection, order: dict[str, Any], settings: Settings) -> Payee | None:
    if order.get("account_iban"):
        account = account_by_iban(conn, order["account_iban"])
        if account is not None:
            return Payee(account.iban, account.holder or settings.beneficiary)
    if settings.iban:
        return Payee(settings.iban, settings.beneficiary)
    return None
