"""Attack: give one payment order many texts by padding its digits with zeros.

Before, int() read "811" + "0" + digits as the same number and the hub's signature verified,
so the cashier's agent accepted any number of texts for one order (and receipts likewise).
"""

from __future__ import annotations

from agent import codes
from protocol.keys import KeyDirectory, SigningKey
from protocol.qr import cp_order, cp_receipt

HUB, AGENT = SigningKey.generate(), SigningKey.generate()
ORDER = cp_order.PaymentOrderCode("O-7", "WAW/2026/77", 12500, "PLN", ("REG-01",), "Jan Kowalski", "85010112345",
                                  "2099-12-31")
RECEIPT = cp_receipt.ReceiptCode("R-20261122-000001", "krakow-3", "2026-11-22T10:15:00Z", 12500, "PLN", "cash",
                                 "", "O-7")


def keys() -> KeyDirectory:
    directory = KeyDirectory()
    directory.add(HUB.public_entry("hub", ["order"]))
    directory.add(AGENT.public_entry("krakow-3", ["receipt"]))
    return directory


def test_order_code_with_leading_zeros_is_not_an_order_at_the_cash_point():
    payload = cp_order.make(ORDER, HUB)
    assert codes.check(payload, keys()).verdict == "valid"
    for zeros in (1, 2, 17):
        padded = payload[:3] + "0" * zeros + payload[3:]
        verdict = codes.check(padded, keys())
        assert (verdict.valid, verdict.verdict) == (False, "structure wrong")
        assert any("not the canonical form" in error for error in verdict.errors)


def test_receipt_code_with_leading_zeros_does_not_verify():
    payload = cp_receipt.make(RECEIPT, AGENT)
    padded = payload[:3] + "00" + payload[3:]
    result = cp_receipt.parse(padded, keys())
    assert not result.valid and "not the canonical form" in result.errors[0]
