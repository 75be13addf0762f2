"""insert_rows: the ingest's executemany must store what SQLAlchemy's insert would."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.store.bulk import insert_rows
from hub.store.tables import payments


def _payment(n: int, **extra) -> dict:
    return {"agent_id": "desk-1", "payment_id": f"p{n}", "message_id": f"m{n}", "receipt_id": f"R{n}",
            "office": "riga-1", "kind": "payment", "amount_minor": 1500 + n, "currency": "EUR", "tender": "card",
            "reference_format": "case", "reference_value": "Ā-ž 7", "order_ref": None, "case_ref": "CASE-7",
            "payer_name": "Jānis Bērziņš", "payer_id": None, "operator": None, "captured_at": "2026-11-22T10:00:00.000Z",
            "received_at": "2026-11-22T10:00:01.000Z", "voided_at": None, "void_reason": None,
            "link_status": "unlinked", "body": {"payment_id": f"p{n}", "nested": {"ελληνικά": [1, 2.5, None]}}} | extra


def test_rows_read_back_the_same_as_through_sqlalchemy(hub_db):
    with hub_db.begin() as conn:
        insert_rows(conn, payments, [_payment(1), _payment(2)])
        conn.execute(payments.insert(), [_payment(3)])
    with hub_db.connect() as conn:
        rows = {r["payment_id"]: dict(r) for r in conn.execute(select(payments)).mappings()}
    ours, theirs = rows["p1"], rows["p3"]
    assert ours["body"] == _payment(1)["body"] and theirs["body"] == _payment(3)["body"]
    assert (ours["payer_name"], ours["reference_value"], ours["amount_minor"]) == ("Jānis Bērziņš", "Ā-ž 7", 1501)
    same = {k for k in ours if k not in ("id", "payment_id", "message_id", "receipt_id", "amount_minor", "body")}
    assert {k: ours[k] for k in same} == {k: theirs[k] for k in same}


def test_rows_that_differ_in_columns_are_refused_before_anything_is_written(hub_db):
    with pytest.raises(ValueError, match="differ in their columns"):
        with hub_db.begin() as conn:
            insert_rows(conn, payments, [_payment(1), {k: v for k, v in _payment(2).items() if k != "case_ref"}])
    with pytest.raises(ValueError, match="no columns"):
        with hub_db.begin() as conn:
            insert_rows(conn, payments, [_payment(1) | {"colour": "red"}])
    with hub_db.connect() as conn:
        assert conn.execute(select(payments)).all() == []
