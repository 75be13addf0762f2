"""Receipts: 42/48-column layout, ESC/POS bytes with a native QR, a PNG whose QR reads back."""

from __future__ import annotations

import pytest
from PIL import Image
from pyzbar import pyzbar

from protocol.qr import cp_receipt

from agent.config import PrinterConfig
from agent.receipts import ReceiptData, ReceiptPrinter, layout
from agent.receipts.printer import render_png


def card_receipt(qr: str | None = None) -> ReceiptData:
    return ReceiptData("Rīgas birojs 1", "desk-1", "R-20261122-000007", "2026-11-22T10:15:00Z", 12550, "EUR",
                       "card", [{"code": "REG", "name": "Vehicle registration (permanent plates, category M1)",
                                 "quantity": 2, "unit_minor": 5000}, {"code": "H", "name": "Handling fee",
                                                                        "unit_minor": 2550}],
                       card_type="girocard", masked_pan="6725591234561234", terminal_id="52500001", trace_no="17",
                       terminal_receipt_no="9", reference="WAW/2026/77", qr_payload=qr)


@pytest.mark.parametrize("columns", [42, 48])
def test_layout_fits_the_paper_and_never_shows_a_full_card_number(columns):
    lines = layout(card_receipt(), columns)
    assert all(len(line) <= columns for line in lines)
    text = "\n".join(lines)
    assert "6725591234561234" not in text and "1234" in text
    assert "125.50 EUR" in text and "R-20261122-000007" in text and "WAW/2026/77" in text
    assert "100.00 EUR" in text          # 2 x 50.00


def test_cash_receipt_shows_given_and_change():
    data = ReceiptData("Office", "desk-1", "R-1", "2026-11-22T10:15:00Z", 4500, "EUR", "cash",
                       cash_given_minor=5000, change_minor=500)
    text = "\n".join(layout(data, 42))
    assert "50.00 EUR" in text and "Change" in text and "5.00 EUR" in text


def test_escpos_file_gets_text_and_a_native_qr_appended(tmp_path, keys):
    qr = cp_receipt.make(cp_receipt.ReceiptCode("R-1", "desk-1", "2026-11-22T10:15:00Z", 12550, "EUR", "card",
                                                "9", "WAW/2026/77", "1234"), keys.agent)
    target = tmp_path / "roll.bin"
    printer = ReceiptPrinter(PrinterConfig(kind="file", path=str(target), columns=42))
    printer.print(card_receipt(qr))
    printer.print(card_receipt(qr))
    data = target.read_bytes()
    assert data.count(b"\x1d(k") >= 2 * 3            # GS ( k: store, print QR, per receipt
    assert qr.encode() in data and data.count(b"R-20261122-000007") == 2


def test_png_preview_carries_a_qr_that_decodes_to_the_signed_code(tmp_path, keys):
    qr = cp_receipt.make(cp_receipt.ReceiptCode("R-1", "desk-1", "2026-11-22T10:15:00Z", 12550, "EUR", "card",
                                                "9", "WAW/2026/77", "1234"), keys.agent)
    image = render_png(layout(card_receipt(qr), 48), qr, tmp_path / "r.png")
    decoded = pyzbar.decode(Image.open(tmp_path / "r.png"))
    assert image.width > 300 and [d.data.decode() for d in decoded] == [qr]
    assert cp_receipt.parse(decoded[0].data.decode(), keys.directory).fields["verdict"] == "valid"


def test_unreachable_network_printer_is_a_clear_error():
    from agent.receipts import PrinterError
    printer = ReceiptPrinter(PrinterConfig(kind="network", host="127.0.0.1", port=1, columns=42))
    with pytest.raises(PrinterError, match="printer .* failed.*payment is recorded"):
        printer.print(card_receipt())
