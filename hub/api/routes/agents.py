"""Agents: online or offline, last seen, outbox depth and age, version, incarnation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select

from hub.api.deps import get_db, require_role
from hub.store.db import Database
from hub.store.tables import agents

router = APIRouter(prefix="/api/v1/agents", tags=["agents"],
                   dependencies=[Depends(require_role("operator", "auditor"))])


def _view(row) -> dict:
    return {"agent_id": row["agent_id"], "online": bool(row["online"]), "last_seen": row["last_seen"],
            "outbox_depth": row["outbox_depth"], "oldest_age_s": row["oldest_age_s"], "version": row["version"],
            "mode": row["mode"], "incarnation": row["incarnation"], "state_at": row["state_at"],
            "contiguous_seq": row["contiguous_seq"], "max_seq": row["max_seq"]}


@router.get("")
def index(db: Database = Depends(get_db)) -> list[dict]:
    with db.connect() as conn:
        return [_view(r) for r in conn.execute(select(agents).order_by(agents.c.agent_id)).mappings()]


@router.get("/{agent_id}")
def one(agent_id: str, db: Database = Depends(get_db)) -> dict:
    with db.connect() as conn:
        row = conn.execute(select(agents).where(agents.c.agent_id == agent_id)).mappings().first()
    if row is None:
        raise HTTPException(404, f"no agent {agent_id} has been heard of")
    return _view(row)
