"""A small hub's books for the export tests: a catalogue with accounting codes, counter payments
of two offices (with and without positions, voided, a refund, hostile payer names), and a
reconciled pagoPA flow, a single pagoPA transfer and an anomaly, made through the real
reconciliation storage and matching."""

from __future__ import annotations

import uuid

from hub.finance.reconcile import matching
from hub.store.tables import catalogue_versions, payments
from hub.store.timeutil import now_iso
from tests.finance.reconcile_support import (IBAN, OFFICE, add_order, flow, flow_payment, import_flow,
                                             import_statement, line, statement)

OTHER_OFFICE = "MILANO-2"
OTHER_IBAN = "IT02A0301503200000003517230"
FLOW_ID = "2026-11-20SELBIT2B-S000000077"
BAD_FLOW_ID = "2026-11-20SELBIT2B-S000000078"
IUV1, IUV2, IUV3 = "05000000000000001", "05000000000000002", "05000000000000003"
HOSTILE_NAME = '=HYPERLINK("http://evil","x")'
AWKWARD_NAME = 'Rossi, "Mario"\nsecond line'

CATALOGUE = {"currency": "EUR", "price_lists": [{"code": "ANAGRAFE", "name": "Registry", "positions": [
    {"code": "CI", "name": "Identity card", "unit_price_minor": 2222, "vat_rate_bp": 0,
     "accounting_code": "3.01.02.01", "account": IBAN},
    {"code": "CERT", "name": "Certificate", "unit_price_minor": 1220, "vat_rate_bp": 2200,
     "accounting_code": "3.01.02.07", "account": OTHER_IBAN},
    {"code": "STAMP", "name": "Revenue stamp", "unit_price_minor": 1600, "vat_rate_bp": 0}]}]}


def publish_catalogue(conn, document=CATALOGUE) -> None:
    conn.execute(catalogue_versions.insert().values(version=1, status="published", document=document,
                                                    created_at=now_iso(), created_by="test", published_at=now_iso()))


def add_payment(conn, *, amount_minor: int, captured_at: str = "2026-11-18T09:30:00.000Z", office: str = OFFICE,
                tender: str = "card", positions: list | None = None, kind: str = "payment",
                order_id: str | None = None, payer_name: str | None = "Anna Verdi", voided: bool = False,
                agent_id: str = "agent-1", body_extra: dict | None = None) -> int:
    payment_id = str(uuid.uuid4())
    body = ({"positions": positions} if positions else {}) | (body_extra or {})
    result = conn.execute(payments.insert().values(
        agent_id=agent_id, payment_id=payment_id, message_id=payment_id, receipt_id=f"R-{payment_id[:8]}",
        office=office, kind=kind, amount_minor=amount_minor, currency="EUR", tender=tender,
        reference_format="cp-order" if order_id else "none", reference_value=order_id, order_ref=order_id,
        case_ref=None, payer_name=payer_name, payer_id=None, operator="clerk", captured_at=captured_at,
        received_at=captured_at, voided_at="2026-11-18T10:00:00.000Z" if voided else None,
        void_reason="typo" if voided else None, link_status="linked" if order_id else "unlinked",
        link_method="order_id" if order_id else None, linked_order_id=order_id,
        linked_case_ref=f"CASE-{order_id}" if order_id else None, link_note=None, channel="counter", body=body))
    return int(result.inserted_primary_key[0])


def seed(conn) -> dict[str, int]:
    """The books; returns the payment row ids by name."""
    publish_catalogue(conn)
    ids = {}
    ids["card"] = add_payment(conn, amount_minor=2222 + 2 * 1220, positions=[
        {"code": "CI", "name": "Identity card", "quantity": 1, "unit_minor": 2222, "vat_rate_bp": 0},
        {"code": "CERT", "name": "Certificate", "quantity": 2, "unit_minor": 1220, "vat_rate_bp": 2200}])
    add_order(conn, "CPORD1", amount_minor=1220 + 1600)
    from sqlalchemy import update

    from hub.store.tables import orders
    conn.execute(update(orders).where(orders.c.order_id == "CPORD1").values(positions="CERT,STAMP"))
    ids["cash"] = add_payment(conn, amount_minor=1220 + 1600, tender="cash", order_id="CPORD1",
                              payer_name=HOSTILE_NAME, captured_at="2026-11-19T11:00:00.000Z")
    ids["bare"] = add_payment(conn, amount_minor=500, tender="cash", payer_name=AWKWARD_NAME,
                              captured_at="2026-11-19T12:00:00.000Z")
    ids["voided"] = add_payment(conn, amount_minor=700, voided=True, captured_at="2026-11-19T13:00:00.000Z")
    ids["refund"] = add_payment(conn, amount_minor=300, kind="refund", captured_at="2026-11-19T14:00:00.000Z")
    ids["milano"] = add_payment(conn, amount_minor=900, office=OTHER_OFFICE, captured_at="2026-11-19T15:00:00.000Z")
    ids["october"] = add_payment(conn, amount_minor=100, captured_at="2026-10-01T08:00:00.000Z")
    # pagoPA: a flow of two payments paid by one statement line; a single transfer; a flow whose line differs.
    add_order(conn, "CPPA1", iuv=IUV1, amount_minor=1600)
    add_order(conn, "CPPA2", iuv=IUV2, amount_minor=2400)
    add_order(conn, "CPPA3", iuv=IUV3, amount_minor=1000)
    import_statement(conn, statement(line(1, 4000, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_ID}", ref="BANK-1"),
                                     line(2, 1000, f"/RFS/{IUV3}/10.00", ref="BANK-2"),
                                     line(3, 999, f"/PUR/LGPE-RIVERSAMENTO/URI/{BAD_FLOW_ID}", ref="BANK-3")))
    import_flow(conn, flow(FLOW_ID, flow_payment(1, IUV1, 1600), flow_payment(2, IUV2, 2400)))
    import_flow(conn, flow(BAD_FLOW_ID, flow_payment(1, "05999999999999999", 1000)))
    matching.run(conn)
    return ids
