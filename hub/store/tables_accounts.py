"""The offices' bank accounts: where the money of payment orders and catalogue positions goes.

One row per IBAN (compact, upper case), which belongs to one office for good: closing an
account sets `active_to` and keeps the row, so old orders, statements and exports still
name it.  `active_from`/`active_to` are days (YYYY-MM-DD), both inclusive; NULL: open-ended.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from hub.store.metadata import metadata

bank_accounts = Table(
    "bank_accounts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("iban", String(34), nullable=False, unique=True),     # ISO 13616, compact; max 34 characters
    Column("holder", String(200)),                               # the beneficiary name on EPC and ZBP codes
    Column("bank", String(200)),
    Column("purpose", String(400)),
    Column("active_from", String(10)),
    Column("active_to", String(10)),                             # set by closing; the last day it is used
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
)
# Keyset pages by office (hub/store/paging.py), the tie-breaker last.
Index("ix_bank_accounts_office", bank_accounts.c.office, bank_accounts.c.id)

ACCOUNT_TABLES = (bank_accounts,)
