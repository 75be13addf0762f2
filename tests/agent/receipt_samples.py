"""Receipts with VAT, a discount and a handling fee, shared by the golden and the printer tests."""

from __future__ import annotations

from agent.receipts import ReceiptData

POSITIONS = [
    {"code": "REG", "name": "Transportlīdzekļa reģistrācija (pastāvīgie numuri)", "quantity": 2, "unit_minor": 5000,
     "vat_rate_bp": 2100},
    {"code": "PLATE", "name": "Numura zīmes", "quantity": 1, "unit_minor": 3100, "vat_rate_bp": 2100,
     "discount": {"name": "Senioriem 50%", "reason": "apliecība 12345", "amount_minor": 1550}},
    {"code": "DUTY", "name": "Valsts nodeva", "quantity": 1, "unit_minor": 1000, "vat_rate_bp": 0},
    {"code": "CARD", "name": "Tehniskā apskate", "quantity": 1, "unit_minor": 2000, "vat_rate_bp": 1200},
]
FEE = 104      # the handling fee the desk computed (its rule is not the subject here)


def card_with_fee(language: str, qr: str | None = None) -> ReceiptData:
    """A card payment whose handling fee is charged with it (in the TOTAL)."""
    positions_total = 2 * 5000 + 3100 - 1550 + 1000 + 2000
    return ReceiptData("Rīgas birojs 1", "desk-1", "R-20261122-000007", "2026-11-22T10:15:00Z",
                       positions_total + FEE, "EUR", "card", [dict(p) for p in POSITIONS],
                       card_type="Visa", masked_pan="************1234", terminal_id="52500001", trace_no="17",
                       terminal_receipt_no="9", reference="RIX/2026/77", payer_name="Jānis Bērziņš", qr_payload=qr,
                       handling_fee={"amount_minor": FEE, "tender": "card"}, language=language)


def card_fee_apart(language: str) -> ReceiptData:
    """A card payment whose handling fee was taken apart in cash (not in the TOTAL)."""
    data = card_with_fee(language)
    data.amount_minor -= FEE
    data.handling_fee = {"amount_minor": FEE, "tender": "cash"}
    return data


def cash_with_fee(language: str) -> ReceiptData:
    return ReceiptData("Γραφείο Αθηνών", "desk-2", "R-20261122-000008", "2026-11-22T11:00:00Z", 2450, "EUR", "cash",
                       [{"code": "CERT", "name": "Πιστοποιητικό", "quantity": 3, "unit_minor": 800, "vat_rate_bp": 2400}],
                       cash_given_minor=3000, change_minor=550, handling_fee={"amount_minor": 50, "tender": "cash",
                                                                              "name": "Τέλος διεκπεραίωσης"},
                       language=language)
