"""What the ingest has recorded of each agent (presence, outbox, sequence), read for the
API and the metrics gauges."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from hub.store.tables import agents

VIEW_COLUMNS = (agents.c.agent_id, agents.c.online, agents.c.last_seen, agents.c.outbox_depth,
                agents.c.oldest_age_s, agents.c.version, agents.c.mode, agents.c.incarnation, agents.c.state_at,
                agents.c.contiguous_seq, agents.c.max_seq)


def _view(row: Any) -> dict[str, Any]:
    return dict(row) | {"online": bool(row["online"])}


def list_agents(conn: Connection) -> list[dict[str, Any]]:
    return [_view(row) for row in conn.execute(select(*VIEW_COLUMNS).order_by(agents.c.agent_id)).mappings()]


def get_agent(conn: Connection, agent_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(*VIEW_COLUMNS).where(agents.c.agent_id == agent_id)).mappings().first()
    return _view(row) if row else None


def agent_counts(conn: Connection) -> tuple[int, int]:
    """(agents online, agents the hub has heard of)."""
    online = conn.execute(select(func.count()).select_from(agents).where(agents.c.online)).scalar_one()
    known = conn.execute(select(func.count()).select_from(agents)).scalar_one()
    return online, known
