"""Agents: online or offline, last seen, outbox depth and age, version, incarnation; ask for diagnostics.

Every route answers within the caller's office scope (`Principal.scope`): an agent of
another office is answered like one never heard of (404).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Request

from hub.api.deps import Db, require_role
from hub.api.schemas.agents import Agent, DiagnosticsAsked
from hub.api.security import Principal
from hub.ingest import fleet
from hub.ingest.agents import get_agent, list_agents
from hub.ingest.commands import ask_diagnostics

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])
Reader = Depends(require_role("operator", "auditor", permission="agents.read"))
Manager = Depends(require_role("operator", permission="agents.manage"))


def _unknown(agent_id: str) -> HTTPException:
    return HTTPException(404, f"no agent {agent_id} has been heard of")


@router.get("", response_model=list[Agent])
def index(db: Db, principal: Principal = Reader) -> list[dict]:
    with db.connect() as conn:
        return fleet.visible(conn, principal.scope, list_agents(conn))


@router.get("/{agent_id}", response_model=Agent)
def one(agent_id: str, db: Db, principal: Principal = Reader) -> dict:
    with db.connect() as conn:
        agent = get_agent(conn, agent_id) if fleet.sees_agent(conn, principal.scope, agent_id) else None
    if agent is None:
        raise _unknown(agent_id)
    return agent


@router.post("/{agent_id}/diagnostics", status_code=202, response_model=DiagnosticsAsked,
             summary="Ask an agent for its diagnostics report (it arrives as a diagnostics.report event)")
def diagnostics(agent_id: str, request: Request, db: Db, principal: Principal = Manager) -> dict:
    with db.begin() as conn:
        if get_agent(conn, agent_id) is None or not fleet.sees_agent(conn, principal.scope, agent_id):
            raise _unknown(agent_id)
        asked = ask_diagnostics(conn, request.app.state.hub, agent_id, principal.actor)
    return {"agent_id": agent_id, "request_id": asked.request_id, "sent": asked.sent}
