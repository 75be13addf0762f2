"""Import one file for reconciliation: parse it, find whose it is, store it once, run matching.

The one path of `counterpay hub reconcile import`, the API's upload and the console's
form, so all three refuse the same files the same way and all three leave the same rows.

Whose a file is:
- a statement belongs to one bank account (hub/finance/accounts.py): the one `account`
  names (an IBAN), else the one the file names; its office is the account's office;
- a reporting flow is imported for an office: the one named (`office`), else the office
  of the account named (the flow's transfer is paid into it).  When the hub issues pagoPA
  notices ([orders] creditor_fiscal_code) a flow for another creditor is refused.

Parsing, storing and matching happen in one transaction: a refused file leaves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.errors import Forbidden, InvalidInput
from hub.finance.records import Flow, ImportRefused, Statement
from hub.finance.reconcile import matching
from hub.finance.reconcile.keys import file_digest
from hub.users.scope import Scope
from hub.finance.reconcile.store import Stored, known_file, read_remittance, store_flow, store_statement

class ImportUsage(ValueError, InvalidInput):
    """The import was asked wrongly (an account no office has, a flow without an office); not the file's fault."""


class NotYourOffice(ImportUsage, Forbidden):
    """The file is for an office outside the caller's."""

    status = 403


@dataclass(frozen=True)
class ImportOutcome:
    stored: Stored
    office: str
    account_iban: str | None
    run: matching.RunOutcome | None      # None when the file was imported before: nothing to match

    def to_json(self) -> dict[str, Any]:
        return {**self.stored.to_json(), "office": self.office, "account": self.account_iban,
                "run": self.run.to_json() if self.run else None}


def parse(data: bytes, fmt: str = "auto", columns: dict | None = None, currency: str | None = None) -> Flow | Statement:
    """The file read by its parser; `currency` is the one a CSV without a currency column is in."""
    from hub.finance.formats.detect import parse_file   # the parsers (hub/finance/formats/)
    return parse_file(data, fmt, columns, currency=currency)


def _account(conn, iban: str):
    from hub.finance.accounts import account_by_iban
    return account_by_iban(conn, "".join(iban.split()).upper())


def _in_scope(scope: Scope, office: str) -> None:
    if not scope.allows(office):
        raise NotYourOffice(f"the file is for office {office}, which is not one of yours ({scope.describe()})")


def import_parsed(conn, parsed: Flow | Statement, data: bytes, *, actor: str, account_iban: str | None = None,
                  office: str | None = None, file_name: str | None = None, creditor_fiscal_code: str = "",
                  account_of=_account, remittance=read_remittance, scope: Scope | None = None) -> ImportOutcome:
    """Store an already-parsed file and run matching (in the caller's transaction).

    `account_of(conn, iban)` finds a bank account; `remittance(line)` reads a line's text."""
    sha = file_digest(data)
    scope = scope or Scope.everything()
    account = None
    if account_iban:
        account = account_of(conn, account_iban)
        if account is None:
            raise ImportUsage(f"no bank account has IBAN {account_iban}: add it first "
                              "(counterpay hub account add) or name another with --account")
    if isinstance(parsed, Statement):
        if account is None:
            if not parsed.iban:
                raise ImportUsage("the file names no account: name the bank account it is for with --account IBAN")
            account = account_of(conn, parsed.iban)
            if account is None:
                raise ImportRefused("account", f"the statement is for IBAN {parsed.iban}, which is no office's "
                                               "bank account: add the account first (counterpay hub account add)")
        elif parsed.iban and "".join(parsed.iban.split()).upper() != account.iban:
            raise ImportRefused("account", f"the statement is for IBAN {parsed.iban}, not for {account.iban} "
                                           "named with --account")
        _in_scope(scope, account.office)
        stored = store_statement(conn, parsed, account, sha256=sha, file_name=file_name, actor=actor,
                                 remittance=remittance)
        where_office, iban = account.office, account.iban
    else:
        where_office = office or (account.office if account is not None else None)
        if not where_office:
            raise ImportUsage("a reporting flow is imported for an office: name it with --office CODE "
                              "(or --account IBAN, the account its transfer is paid into)")
        _in_scope(scope, where_office)
        if creditor_fiscal_code and parsed.creditor_id != creditor_fiscal_code:
            raise ImportRefused("istitutoRicevente", f"the flow is for creditor {parsed.creditor_id}, not for "
                                                     f"this hub's creditor {creditor_fiscal_code}")
        stored = store_flow(conn, parsed, where_office, sha256=sha, file_name=file_name, actor=actor)
        iban = account.iban if account is not None else None
    run = None if stored.repeated else matching.run(conn)
    return ImportOutcome(stored, where_office, iban, run)


def import_file(db, data: bytes, *, actor: str, fmt: str = "auto", columns: dict | None = None,
                account_iban: str | None = None, office: str | None = None, file_name: str | None = None,
                creditor_fiscal_code: str = "", scope: Scope | None = None,
                currency: str | None = None) -> ImportOutcome:
    """Parse and import `data` in one transaction of `db`; raises ImportRefused or ImportUsage.

    `currency`: the hub's (`[orders] currency`), for a CSV statement that names none."""
    with db.connect() as conn:
        first = known_file(conn, file_digest(data))
    if first is not None:
        # The same bytes again: answered without parsing, and without touching anything.
        return ImportOutcome(first, first.office or "", first.account_iban, None)
    parsed = parse(data, fmt, columns, currency)
    with db.begin() as conn:
        return import_parsed(conn, parsed, data, actor=actor, account_iban=account_iban, office=office,
                             file_name=file_name, creditor_fiscal_code=creditor_fiscal_code, scope=scope)


def run(db) -> matching.RunOutcome:
    with db.begin() as conn:
        return matching.run(conn)
