"""Payments and orders written straight into the hub's tables, for the search and paging tests."""

from __future__ import annotations

from typing import Any

from hub.store.bulk import insert_rows
from hub.store.tables import orders, payments


def payment_row(n: int, **columns: Any) -> dict[str, Any]:
    row = {"agent_id": "desk-1", "payment_id": f"pay-{n:05d}", "message_id": f"msg-{n:05d}",
           "receipt_id": f"rcpt-{n:05d}", "office": "A", "kind": "payment", "amount_minor": 1000, "currency": "EUR",
           "tender": "card", "reference_format": "none", "reference_value": None, "order_ref": None,
           "case_ref": None, "payer_name": None, "payer_id": None, "operator": None,
           "captured_at": "2026-11-02T09:00:00.000Z", "received_at": "2026-11-02T09:00:01.000Z",
           "voided_at": None, "void_reason": None, "link_status": "unlinked", "link_method": None,
           "linked_order_id": None, "linked_case_ref": None, "link_note": None, "body": {}}
    return row | columns


def order_row(order_id: str, **columns: Any) -> dict[str, Any]:
    row = {"order_id": order_id, "amount_kind": "fixed", "amount_minor": 5000, "currency": "EUR",
           "reference_format": "rf", "reference": f"RF00{order_id}", "iuv": None, "case_ref": None,
           "payer_name": None, "payer_id": None, "description": None, "due_date": None, "qr_payload": None,
           "created_at": "2026-11-01T08:00:00.000Z", "created_by": "test", "positions": None, "office": "A"}
    return row | columns


def add_payments(db, rows: list[dict[str, Any]]) -> None:
    with db.begin() as conn:
        insert_rows(conn, payments, rows)


def add_orders(db, rows: list[dict[str, Any]]) -> None:
    with db.begin() as conn:
        insert_rows(conn, orders, rows)
