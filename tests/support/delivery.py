"""Helpers for the hub delivery tests: payments as ingest hands them over, a registered
case system pointing at the simulator, and a loop driving the worker on virtual time."""

from __future__ import annotations

import itertools
import uuid

from hub.casesys import registry
from hub.delivery.queue import enqueue_confirmation
from hub.store.db import Database

_numbers = itertools.count(1)


def payment(case_ref: str, amount_minor: int = 4500, **extra) -> dict:
    """The `payment` dict ingest passes (hub.ingest.store.confirmation_payment)."""
    return {"agent_id": "lv-riga-1", "payment_id": f"pay-{next(_numbers)}", "receipt_id": "r-1",
            "office": "riga-1", "kind": "payment", "amount_minor": amount_minor, "currency": "EUR",
            "tender": "card", "reference_format": "case", "reference_value": case_ref, "order_ref": None,
            "case_ref": case_ref, "payer_name": "Anna Bērziņa", "payer_id": None, "operator": "clerk-7",
            "captured_at": "2026-11-22T12:00:00.000Z", "voided_at": None, "void_reason": None, **extra}


def link(case_ref: str) -> dict:
    return {"status": "linked", "method": "case", "order_id": None, "case_ref": case_ref, "note": None}


def register(db: Database, sim, name: str = "vr", regex: str = r"VR-.*", *, secrets: list[str] | None = None,
             on: str = "case_ref") -> dict:
    secrets = secrets or sim.secrets
    spec = registry.CaseSystemCreate(name=name, patterns=[{"on": on, "regex": regex}], webhook_url=sim.webhook_url,
                                     lookup_url=sim.lookup_url, secret=secrets[0],
                                     previous_secret=secrets[1] if len(secrets) > 1 else None,
                                     internal=True)   # the simulator listens on loopback
    with db.begin() as conn:
        row, _ = registry.create(conn, spec, "test")
    return row


def enqueue(db: Database, case_ref: str, amount_minor: int = 4500, *, now: float | None = None,
            event_id: str | None = None) -> tuple[str, str]:
    """Queue one confirmation as ingest would; returns (event id, webhook id)."""
    event_id = event_id or f"ev-{uuid.uuid4().hex[:12]}"
    with db.begin() as conn:
        webhook_id = enqueue_confirmation(conn, event_id=event_id, agent_id="lv-riga-1",
                                          payment=payment(case_ref, amount_minor), link=link(case_ref), now=now)
    return event_id, webhook_id


async def drive(worker, clock, *, until: float, on_step=None, max_steps: int = 20_000) -> int:
    """Run the worker on virtual time until `until` or until nothing is left; returns steps."""
    for step in range(max_steps):
        if on_step:
            on_step(clock.now())
        next_due = await worker.run_once()
        if next_due is None or clock.now() >= until:
            return step
        clock.advance_to(min(next_due, until))
    raise AssertionError("the worker did not settle")
