"""The handling fee and discounts in the payments export, on SQLite and PostgreSQL: the fee is always
a row of its own (with the payment's tender, or cash when taken apart), a discount comes off its line,
and the rows of a payment add up to what was paid."""

from __future__ import annotations

import pytest

from hub.finance.exports.columns import COLUMNS
from hub.finance.exports.filters import ExportRequest
from hub.finance.exports.service import rows
from tests.finance.exports_support import add_payment, publish_catalogue

CI = {"code": "CI", "name": "Identity card", "quantity": 1, "unit_minor": 2222, "vat_rate_bp": 0}
CERT = {"code": "CERT", "name": "Certificate", "quantity": 2, "unit_minor": 1220, "vat_rate_bp": 2200,
        "discount": {"name": "Student", "reason": "card 9", "amount_minor": 1220}}


def _lines(db, payment_row):
    request = ExportRequest.build("payments", date_from="2026-11-01", date_to="2026-11-30")
    found = [dict(zip(COLUMNS["payments"], row, strict=True)) for row in rows(db, request)]
    return [(r["line"], r["tender"], r["position_code"], r["position_name"], r["quantity"], r["gross_minor"],
             r["net_minor"], r["vat_minor"], r["handling_fee_minor"]) for r in found if r["payment_row"] == payment_row]


@pytest.fixture
def db(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
    return hub_db


def test_a_fee_charged_with_the_card_is_its_own_row_and_the_discount_comes_off_its_line(db):
    with db.begin() as conn:
        row = add_payment(conn, amount_minor=2222 + 1220 + 40, positions=[CI, CERT],
                          body_extra={"handling_fee": {"amount_minor": 40, "tender": "card", "name": "Commissione"}})
    assert _lines(db, row) == [(1, "card", "CI", "Identity card", 1, 2222, 2222, 0, 0),
                               (2, "card", "CERT", "Certificate", 2, 1220, 1000, 220, 0),
                               (3, "card", None, "Commissione", 1, 40, 40, 0, 40)]
    assert sum(line[5] for line in _lines(db, row)) == 3482


def test_a_fee_taken_apart_in_cash_is_a_cash_row_beside_the_card_payment(db):
    with db.begin() as conn:
        row = add_payment(conn, amount_minor=2222, positions=[CI],
                          body_extra={"handling_fee": {"amount_minor": 100, "tender": "cash"}})
    assert _lines(db, row) == [(1, "card", "CI", "Identity card", 1, 2222, 2222, 0, 0),
                               (2, "cash", None, None, 1, 100, 100, 0, 100)]


def test_a_fee_on_a_payment_without_positions_splits_the_amount(db):
    with db.begin() as conn:
        row = add_payment(conn, amount_minor=1050, body_extra={"handling_fee": {"amount_minor": 50, "tender": "card"}})
    assert _lines(db, row) == [(1, "card", None, None, 1, 1000, 1000, 0, 0), (2, "card", None, None, 1, 50, 50, 0, 50)]
