"""Hub tests' end-of-day desk: a FakeAgent whose card payments carry their batch and that closes batches."""

from __future__ import annotations

from protocol.wire import make
from hub.ingest.store import store_batch
from tests.hub.agents import FakeAgent

CLOSED_AT = "2026-11-22T18:00:00.000Z"


class Desk(FakeAgent):
    """A FakeAgent whose card payments carry their batch and terminal, and that closes batches."""

    def card(self, amount_minor: int, batch_no: int | None = 1, *, terminal_id: str | None = "T-01",
             captured_at: str = "2026-11-22T10:00:00.000Z", **extra):
        card = {"terminal_id": terminal_id, "masked_pan": "****1234"}
        if batch_no is not None:
            card["batch_no"] = batch_no
        return self.payment(amount_minor, card=card, captured_at=captured_at, **extra)

    def report(self, count: int | None, total: int | None, *, batch_no: int | None = 1, payment_ids=None,
               batch_id: str | None = None, message_id: str | None = None, office: str | None = "riga-1",
               opened_at: str | None = "2026-11-22T00:00:00.000Z", closed_at: str = CLOSED_AT, **extra):
        self.seq += 1
        body = {"batch_id": batch_id or f"{self.agent_id}-b{batch_no}", "currency": "EUR",
                "terminal_count": count, "terminal_total_minor": total,
                "journal": {"card": {"count": count or 0, "total_minor": total or 0}},
                "mismatch": False, "closed_at": closed_at, "office": office, "terminal_id": "T-01",
                "batch_no": batch_no, "opened_at": opened_at, "payment_ids": payment_ids} | extra
        body = {k: v for k, v in body.items() if v is not None or k in ("terminal_count", "terminal_total_minor")}
        return make(self.agent_id, self.seq, "eod.report", body, self.key,
                    message_id=message_id or f"{self.agent_id}-m{self.seq}")


def store(db, key, *envelopes) -> None:
    with db.begin() as conn:
        store_batch(conn, [(e, e.encode().decode()) for e in envelopes], [], key)
