"""Building blocks of the reconciliation tests: orders, accounts, statements and flows made
directly as the parsers (hub/finance/formats/) would give them, and what each line's
remittance text says, given as protocol/remittance.py would read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from hub.finance.records import Flow, FlowPayment, Statement, StatementLine
from hub.finance.reconcile.store import Reading, store_flow, store_statement
from hub.store.tables import orders
from hub.store.timeutil import now_iso

OFFICE = "ROMA-1"
IBAN = "IT60X0542811101000000123456"
DAY = dt.date(2026, 11, 20)


@dataclass(frozen=True)
class Account:
    """Stands for hub/finance/accounts.py's BankAccount: what a statement import reads of it."""
    id: int = 1
    office: str = OFFICE
    iban: str = IBAN


def add_order(conn, order_id: str, *, iuv: str | None = None, rf: str | None = None, amount_minor: int = 1600,
              office: str | None = OFFICE, case_ref: str | None = None) -> None:
    conn.execute(orders.insert().values(
        order_id=order_id, amount_kind="fixed", amount_minor=amount_minor, currency="EUR",
        reference_format="rf" if rf else "pagopa", reference=rf or f"3{iuv}", iuv=iuv,
        case_ref=case_ref or f"CASE-{order_id}", created_at=now_iso(), created_by="test", office=office))


def order_exists(conn, order_id: str) -> bool:
    return conn.execute(select(orders.c.order_id).where(orders.c.order_id == order_id)).first() is not None


def line(position: int, amount_minor: int, text: str, *, credit: bool = True, reversal: bool = False,
         ref: str | None = None, day: dt.date = DAY) -> StatementLine:
    return StatementLine(position=position, booking_date=day, value_date=day, amount_minor=amount_minor,
                         currency="EUR", credit=credit, reversal=reversal, description=text,
                         structured_reference=None, bank_reference=ref, counterparty="Mario Rossi")


def statement(*lines: StatementLine, statement_id: str = "STMT-1") -> Statement:
    return Statement(format="camt.053", statement_id=statement_id, iban=IBAN, currency="EUR", lines=tuple(lines))


def flow_payment(position: int, iuv: str, amount_minor: int, *, outcome: int = 0, iur: str | None = None) -> FlowPayment:
    return FlowPayment(position=position, iuv=iuv, iur=iur or f"IUR{iuv}", index=1, amount_minor=amount_minor,
                       outcome=outcome, outcome_date=DAY)


def flow(flow_id: str, *payments: FlowPayment, total_minor: int | None = None,
         revision: dt.datetime = dt.datetime(2026, 11, 22, 8, 0)) -> Flow:
    return Flow(flow_id=flow_id, revision=revision, settlement_ref="TRN-1", settlement_date=DAY,
                psp_id="SELBIT2B", psp_name="A PSP", bic="SELBITMM", creditor_id="00311260095",
                creditor_name="Comune", total_count=len(payments),
                total_minor=sum(p.amount_minor for p in payments) if total_minor is None else total_minor,
                payments=tuple(payments))


def reading(text: str) -> Reading:
    """What protocol/remittance.py reads in the few texts these tests write, in its words."""
    words = text.replace("/", " ").split()
    if text.startswith("/PUR/LGPE-RIVERSAMENTO/URI/"):
        flow_id = text.rsplit("/", 1)[1]
        if len(flow_id) < 18:
            return Reading("pagopa-flow", errors=("the flow id is truncated",))
        return Reading("pagopa-flow", flow_id=flow_id)
    if words and words[0] == "RFS":
        return Reading("pagopa-single", iuv=words[1], amount_minor=round(float(words[2]) * 100))
    if words and words[0].startswith("RF") and words[0][2:4].isdigit():
        return Reading("rf", reference=words[0])
    return Reading("none")


def import_statement(conn, stmt: Statement, data: bytes | None = None):
    data = data or repr(stmt).encode()
    import hashlib
    return store_statement(conn, stmt, Account(), sha256=hashlib.sha256(data).hexdigest(), file_name="s.xml",
                           actor="test", remittance=lambda ln: reading(ln.description))


def import_flow(conn, fl: Flow, data: bytes | None = None, office: str = OFFICE):
    data = data or repr(fl).encode()
    import hashlib
    return store_flow(conn, fl, office, sha256=hashlib.sha256(data).hexdigest(), file_name="f.xml", actor="test")
