"""Rows the back-office page tests need: agents with their office's certificate, and deliveries."""

from __future__ import annotations

import json

from hub.store.tables import agents
from hub.store.tables_delivery import deliveries
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import now_iso


def agent(conn, agent_id: str, office: str, *, online: bool = True, serial: str | None = None) -> None:
    now = now_iso()
    conn.execute(agents.insert().values(agent_id=agent_id, online=online, version="1.4.2", mode="clerk",
                                        outbox_depth=3, oldest_age_s=42, last_seen=now, contiguous_seq=0, max_seq=0))
    conn.execute(agent_certificates.insert().values(
        serial=serial or format(abs(hash(agent_id)) % 10**12, "x"), agent_id=agent_id, office=office,
        issued_at=now, not_after="2027-11-22T00:00:00.000Z", certificate_pem="(test)"))


def delivery(conn, event_id: str, agent_id: str, *, status: str = "dead", case_system: str = "tax",
             error: str = "HTTP 500 from https://tax.example/hook") -> None:
    now = now_iso()
    conn.execute(deliveries.insert().values(
        webhook_id=f"wh-{event_id}", event_id=event_id, agent_id=agent_id, type="payment.confirmed",
        case_system=case_system, case_key=f"case-{event_id}", payload=json.dumps({"data": {}}), status=status,
        attempts=9, created_at=now, window_started_at=now, next_attempt_at=now, last_error=error,
        dead_at=now if status == "dead" else None))
