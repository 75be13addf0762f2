"""Agent presence from births and wills, ordered by the incarnation counter.

An agent raises its incarnation each time it connects.  A birth of incarnation I
marks it online unless a newer incarnation is known or the will of I was already
seen (a retained birth redelivered after its own will).  A will of I marks it
offline only if I is the newest incarnation: the will of a previous connection that
the broker delivers late never takes a live agent offline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from protocol.wire import Envelope
from hub.store.tables import agents


def apply_state(conn: Connection, envelope: Envelope, received_at: str) -> str:
    """Apply one birth or will; returns what happened: online | offline | stale."""
    row = conn.execute(select(agents).where(agents.c.agent_id == envelope.agent)).mappings().first()
    current = row["incarnation"] if row else None
    will_seen = row["will_incarnation"] if row else None
    incarnation = envelope.body["incarnation"]
    values: dict[str, Any]
    if envelope.type == "birth":
        if current is not None and (incarnation < current or (incarnation == current and will_seen == current)):
            return "stale"
        body = envelope.body
        values = {"online": True, "incarnation": incarnation, "version": body["version"], "mode": body["mode"],
                  "outbox_depth": body["outbox_depth"], "oldest_age_s": body.get("oldest_age_s"),
                  "state_at": envelope.time}
        outcome = "online"
    else:
        if current is not None and incarnation < current:
            return "stale"
        values = {"online": False, "incarnation": incarnation, "will_incarnation": incarnation,
                  "state_at": envelope.time}
        outcome = "offline"
    values["last_seen"] = max(received_at, row["last_seen"] or "") if row else received_at
    conn.execute(agents.update().where(agents.c.agent_id == envelope.agent).values(**values))
    return outcome
