"""Second versions of a payment: told apart from re-sends, kept, listed for people to look at.

An agent's payment id is its dedup key.  The same body under a new message id is a
re-send (the journal was restored, the outbox re-queued): a plain duplicate.  Another
body under a stored payment id is a conflict: the first stored version stands, the
second is refused with a reason, kept in `payment_conflicts` and counted, and never
applied, because the hub cannot know which one the counter took.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from hub.store.tables_ingest import payment_conflicts


def body_of(value: Any) -> dict[str, Any]:
    """A JSON column as read by plain DB-API SQL: text on SQLite, parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """The body fields whose values differ, by name."""
    return sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))


def conflict_row(agent: str, payment_id: str, message_id: str, stored_message_id: str, differing: list[str],
                 body: dict[str, Any], received_at: str) -> dict[str, Any]:
    return {"agent_id": agent, "payment_id": payment_id, "message_id": message_id,
            "stored_message_id": stored_message_id, "differences": ", ".join(differing)[:400], "body": body,
            "received_at": received_at}


def list_conflicts(conn: Connection, *, agent_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest conflicts first."""
    query = select(payment_conflicts).order_by(payment_conflicts.c.id.desc()).limit(limit)
    if agent_id:
        query = query.where(payment_conflicts.c.agent_id == agent_id)
    return [{"agent_id": row["agent_id"], "payment_id": row["payment_id"], "message_id": row["message_id"],
             "stored_message_id": row["stored_message_id"],
             "differences": [d for d in row["differences"].split(", ") if d],
             "body": row["body"], "received_at": row["received_at"]}
            for row in conn.execute(query).mappings()]
