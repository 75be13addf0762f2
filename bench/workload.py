"""What several benchmarks feed the agent: one payment.captured body, and a percentile."""

from __future__ import annotations


def payment_body(n: int) -> dict:
    """A signed payment.captured event body, numbered n (ids and amounts vary with n)."""
    return {"payment_id": f"p-{n:08d}", "receipt_id": f"R-20261122-{n:06d}", "office": "Riga 1",
            "kind": "payment", "amount_minor": 4500 + n % 100, "currency": "EUR", "tender": "card",
            "reference": {"format": "case", "value": f"WAW/2026/{n}"}, "case_ref": f"WAW/2026/{n}",
            "positions": [{"code": "REG-1", "name": "Vehicle registration", "quantity": 1, "unit_minor": 4500}],
            "card": {"masked_pan": "******1234", "card_type": "girocard", "terminal_id": "52500001",
                     "trace_no": str(n), "receipt_no": str(n), "recovered": False},
            "captured_at": "2026-11-22T10:15:00.000Z"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
