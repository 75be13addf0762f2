"""Store one parsed file (a Statement or a Flow) exactly once, in the caller's transaction.

The file is known by the SHA-256 of its bytes: the same file again adds nothing and the
outcome names the import that took it first.  A different file that repeats lines or a
flow stored before adds only what is new (statement lines by their key, hub/finance/
reconcile/keys.py; flows by office, flow id, PSP and revision).  New items are stored
`waiting` / `not_run`; matching (matching.py) gives them their status.

What a line's remittance text says is read here once, with protocol/remittance.py, and
kept beside the line: the report shows it, and matching never parses text again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from sqlalchemy import Connection, select

from hub.finance.records import Flow, Statement, StatementLine
from hub.finance.reconcile import status as st
from hub.finance.reconcile.keys import line_keys
from hub.store.bulk import insert_rows
from hub.store.tables_reconcile import finance_imports, flow_payments, flows, statement_lines
from hub.store.timeutil import now_iso

CHUNK = 500


class Account(Protocol):
    """The bank account a statement is imported for (hub/finance/accounts.py BankAccount)."""
    office: str
    iban: str


@dataclass(frozen=True)
class Reading:
    """What a line's remittance text says, as stored (protocol.remittance.Remittance's fields)."""
    kind: str                       # pagopa-flow | pagopa-single | rf | none
    flow_id: str | None = None
    iuv: str | None = None
    reference: str | None = None
    amount_minor: int | None = None
    errors: tuple[str, ...] = ()


def read_remittance(line: StatementLine) -> Reading:
    """The structured reference when it names something of ours, else the free text."""
    from protocol.remittance import parse
    found = None
    if line.structured_reference:
        found = parse(line.structured_reference)
        if not found.usable:
            found = None
    if found is None:
        found = parse(line.description or "")
    return Reading(found.kind, found.flow_id, found.iuv, found.reference, found.amount_minor, tuple(found.errors))


@dataclass(frozen=True)
class Stored:
    """What one import did."""
    import_id: int
    kind: str                        # statement | flow
    items: int                       # lines or flow payments in the file
    added: int                       # of which were new
    first_import: int | None = None  # the same file was imported before, as this import: nothing added
    first_at: str | None = None
    office: str | None = None        # of that first import
    account_iban: str | None = None

    @property
    def repeated(self) -> bool:
        return self.first_import is not None

    def to_json(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "kind": self.kind, "items": self.items, "added": self.added,
                "already_imported": self.repeated, "first_imported_at": self.first_at}


def known_file(conn: Connection, sha256: str) -> Stored | None:
    row = conn.execute(select(finance_imports).where(finance_imports.c.sha256 == sha256)).mappings().first()
    if row is None:
        return None
    return Stored(row["id"], row["kind"], row["items"], 0, first_import=row["id"], first_at=row["imported_at"],
                  office=row["office"], account_iban=row["account_iban"])


def _import_row(conn: Connection, *, sha256: str, kind: str, fmt: str, file_name: str | None, office: str,
                iban: str | None, items: int, actor: str, at: str) -> int:
    result = conn.execute(finance_imports.insert().values(
        sha256=sha256, kind=kind, format=fmt, file_name=(file_name or None) and file_name[-300:], office=office,
        account_iban=iban, items=items, added=0, imported_at=at, imported_by=actor))
    return int(result.inserted_primary_key[0])


def _existing(conn: Connection, column, values: list) -> set:
    found = set()
    for start in range(0, len(values), CHUNK):
        found.update(conn.execute(select(column).where(column.in_(values[start:start + CHUNK]))).scalars())
    return found


def store_statement(conn: Connection, statement: Statement, account: Account, *, sha256: str,
                    file_name: str | None, actor: str,
                    remittance: Callable[[StatementLine], Reading] = read_remittance) -> Stored:
    """Store the statement's lines not stored before, for `account` (its office is the lines' office)."""
    first = known_file(conn, sha256)
    if first is not None:
        return first
    at = now_iso()
    import_id = _import_row(conn, sha256=sha256, kind="statement", fmt=statement.format, file_name=file_name,
                            office=account.office, iban=account.iban, items=len(statement.lines), actor=actor, at=at)
    keys = line_keys(account.iban, statement.lines)
    known = _existing(conn, statement_lines.c.line_key, keys)
    rows = []
    for line, key in zip(statement.lines, keys, strict=True):
        if key in known:
            continue
        known.add(key)
        reading = remittance(line)
        rows.append({
            "line_key": key, "import_id": import_id, "office": account.office, "account_iban": account.iban,
            "statement_id": statement.statement_id, "position": line.position,
            "booking_date": line.booking_date.isoformat(),
            "value_date": line.value_date.isoformat() if line.value_date else None,
            "amount_minor": line.amount_minor, "currency": line.currency, "credit": line.credit,
            "reversal": line.reversal, "description": line.description,
            "structured_reference": line.structured_reference, "bank_reference": line.bank_reference,
            "counterparty": line.counterparty, "kind": reading.kind, "flow_id": reading.flow_id,
            "iuv": reading.iuv, "reference": reading.reference, "remittance_amount_minor": reading.amount_minor,
            "remittance_errors": json.dumps(list(reading.errors), ensure_ascii=False) if reading.errors else None,
            "status": st.WAITING, "reason": st.NOT_RUN, "flow_row": None, "order_id": None, "payment_row": None,
            "imported_at": at, "resolved_at": None, "resolved_by": None, "resolution_note": None})
    insert_rows(conn, statement_lines, rows)
    conn.execute(finance_imports.update().where(finance_imports.c.id == import_id).values(added=len(rows)))
    return Stored(import_id, "statement", len(statement.lines), len(rows))


def revision_text(flow: Flow) -> str:
    return flow.revision.isoformat()


def store_flow(conn: Connection, flow: Flow, office: str, *, sha256: str, file_name: str | None,
               actor: str) -> Stored:
    """Store the flow for `office` unless this revision of it is stored already."""
    first = known_file(conn, sha256)
    if first is not None:
        return first
    at = now_iso()
    import_id = _import_row(conn, sha256=sha256, kind="flow", fmt="fdr", file_name=file_name, office=office,
                            iban=None, items=len(flow.payments), actor=actor, at=at)
    revision = revision_text(flow)
    same = conn.execute(select(flows.c.id).where(flows.c.office == office, flows.c.flow_id == flow.flow_id,
                                                 flows.c.psp_id == flow.psp_id, flows.c.revision == revision)).first()
    if same is not None:
        return Stored(import_id, "flow", len(flow.payments), 0)
    result = conn.execute(flows.insert().values(
        import_id=import_id, office=office, flow_id=flow.flow_id, psp_id=flow.psp_id, revision=revision,
        psp_name=flow.psp_name, bic=flow.bic, settlement_ref=flow.settlement_ref,
        settlement_date=flow.settlement_date.isoformat(), creditor_id=flow.creditor_id,
        creditor_name=flow.creditor_name, total_count=flow.total_count, total_minor=flow.total_minor,
        status=st.WAITING, reason=st.NOT_RUN, line_row=None, imported_at=at))
    flow_row = int(result.inserted_primary_key[0])
    insert_rows(conn, flow_payments, [{
        "flow_row": flow_row, "position": p.position, "office": office, "iuv": p.iuv, "iur": p.iur,
        "payment_index": p.index, "amount_minor": p.amount_minor, "outcome": p.outcome,
        "outcome_date": p.outcome_date.isoformat(), "status": st.WAITING, "reason": st.NOT_RUN, "order_id": None,
        "payment_row": None, "resolved_at": None, "resolved_by": None, "resolution_note": None}
        for p in flow.payments])
    conn.execute(finance_imports.update().where(finance_imports.c.id == import_id).values(added=len(flow.payments)))
    return Stored(import_id, "flow", len(flow.payments), len(flow.payments))
