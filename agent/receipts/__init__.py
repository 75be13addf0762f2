"""Receipts: a text layout for 42/48-column printers, ESC/POS output, PNG preview.

A receipt is printed only for a payment whose outcome is committed (the payment life
calls `ReceiptPrinter.print` after the commit), and always carries the signed receipt
QR (`protocol.qr.cp_receipt`) that a clerk at another desk verifies offline.
"""

from agent.receipts.layout import ReceiptData, layout, receipt_data_from_journal
from agent.receipts.printer import PrinterError, ReceiptPrinter

__all__ = ["ReceiptData", "layout", "receipt_data_from_journal", "ReceiptPrinter", "PrinterError"]
