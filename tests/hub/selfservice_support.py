"""Orders and payments for the self-service tests: a pagoPA notice partly paid at a counter by
card and through pagoPA, its payer a Latvian with a Greek-lettered address line."""

from __future__ import annotations

import re
import subprocess

from hub.orders.references import pagopa_notice
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row

CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="[^"]*">')
FISCAL_CODE = "BRZJNS80A01H501U"
PAYER = "Jānis Bērziņš"


def seed(db) -> dict:
    notice, iuv = pagopa_notice("01")
    orders = [order_row("CPSELF000001", amount_minor=12_500, reference_format="pagopa", reference=notice,
                              iuv=iuv, payer_name=PAYER, payer_id=FISCAL_CODE, due_date="2027-01-31",
                              description="Tassa rifiuti · Ρόδος", payer_language="lv"),
                    order_row("CPSELF000002", amount_minor=900, reference="RF18539007547034",
                              payer_name="Zażółć Gęślą", payer_id="PL-77", cancelled_at="2026-11-20T10:00:00.000Z")]
    payments = [
        payment_row(1, office="ROMA-1", amount_minor=5_000, tender="card", linked_order_id="CPSELF000001",
                    link_status="linked", receipt_id="R-2026-000117", captured_at="2026-11-03T09:15:00.000Z",
                    body={"card": {"masked_pan": "************4242", "card_type": "VISA", "auth_code": "A1B2C3"},
                          "positions": [{"code": "TARI", "name": "Tassa rifiuti – Ģērbšanās", "quantity": 1,
                                         "unit_minor": 5000}]}),
        payment_row(2, office="ROMA-1", amount_minor=2_500, tender="pagopa", channel="pagopa",
                    linked_order_id="CPSELF000001", link_status="linked", receipt_id="IUR-998877",
                    captured_at="2026-11-10T16:40:00.000Z"),
        payment_row(3, office="ROMA-1", amount_minor=700, tender="cash", linked_order_id="CPSELF000001",
                    link_status="linked", receipt_id="R-VOID", voided_at="2026-11-10T17:00:00.000Z",
                    captured_at="2026-11-10T16:59:00.000Z"),
        payment_row(4, office="ROMA-1", amount_minor=900, tender="cash", linked_order_id="CPSELF000002",
                    link_status="linked", receipt_id="R-OTHER", captured_at="2026-11-11T08:00:00.000Z"),
    ]
    for order in orders:                   # one by one: the rows differ in the columns they name
        add_orders(db, [order])
    for payment in payments:
        add_payments(db, [payment])
    return {"notice": notice, "iuv": iuv}


def without_csrf(html: str) -> str:
    return CSRF_FIELD.sub("", html)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
