"""Agents: online or offline, last seen, outbox depth and age, version, incarnation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from hub.api.deps import Db, require_role
from hub.api.schemas.agents import Agent
from hub.ingest.agents import get_agent, list_agents

router = APIRouter(prefix="/api/v1/agents", tags=["agents"],
                   dependencies=[Depends(require_role("operator", "auditor"))])


@router.get("", response_model=list[Agent])
def index(db: Db) -> list[dict]:
    with db.connect() as conn:
        return list_agents(conn)


@router.get("/{agent_id}", response_model=Agent)
def one(agent_id: str, db: Db) -> dict:
    with db.connect() as conn:
        agent = get_agent(conn, agent_id)
    if agent is None:
        raise HTTPException(404, f"no agent {agent_id} has been heard of")
    return agent
