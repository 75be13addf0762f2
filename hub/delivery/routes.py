"""API routes of webhook delivery (plus the case-system routes, mounted from here).

    GET  /api/v1/deliveries                   ?status=pending|delivered|dead|unrouted&case_system=&since=&until=
    GET  /api/v1/deliveries/dead-letters      the dead-letter list
    GET  /api/v1/deliveries/{event_id}        one confirmation: payload, why it waits, every attempt
    POST /api/v1/deliveries/replay            {"event_ids": [...]} or {"since", "until", "include_delivered"}
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.deps import get_db, require_role
from hub.casesys.routes import router as case_systems_router
from hub.delivery import views
from hub.delivery.replay import replay
from hub.store.db import Database
from hub.store.timeutil import normalise

router = APIRouter()
deliveries_router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])
READERS = Depends(require_role("operator", "auditor"))


def _time(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError:
        raise HTTPException(422, f"{name}={value!r} is not an RFC 3339 time such as 2026-11-22T12:00:00Z") from None


@deliveries_router.get("", dependencies=[READERS])
def list_deliveries(status: Literal["pending", "delivered", "dead", "unrouted"] | None = None,
                    case_system: str | None = None, since: str | None = None, until: str | None = None,
                    limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                    db: Database = Depends(get_db)) -> list[dict]:
    with db.connect() as conn:
        return views.list_deliveries(conn, status=status, case_system=case_system, since=_time(since, "since"),
                                     until=_time(until, "until"), limit=limit, offset=offset)


@deliveries_router.get("/dead-letters", dependencies=[READERS])
def dead_letters(case_system: str | None = None, limit: int = Query(100, ge=1, le=1000),
                 db: Database = Depends(get_db)) -> list[dict]:
    with db.connect() as conn:
        return views.list_deliveries(conn, status="dead", case_system=case_system, limit=limit)


@deliveries_router.get("/{event_id}", dependencies=[READERS])
def get_delivery(event_id: str, db: Database = Depends(get_db)) -> dict:
    with db.connect() as conn:
        item = views.delivery_detail(conn, event_id)
    if item is None:
        raise HTTPException(404, f"no confirmation for event {event_id!r}")
    return item


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_ids: list[str] | None = Field(default=None, min_length=1, max_length=10_000)
    since: str | None = None
    until: str | None = None
    case_system: str | None = None
    include_delivered: bool = False

    @model_validator(mode="after")
    def _one_selection(self):
        if not self.event_ids and not (self.since or self.until):
            raise ValueError("give event_ids, or a time range with since and/or until")
        if self.event_ids and (self.since or self.until):
            raise ValueError("give either event_ids or a time range, not both")
        return self


@deliveries_router.post("/replay")
def replay_deliveries(request: ReplayRequest, db: Database = Depends(get_db),
                      principal=Depends(require_role("operator"))) -> dict:
    with db.begin() as conn:
        return replay(conn, actor=principal.actor, event_ids=request.event_ids,
                      since=_time(request.since, "since"), until=_time(request.until, "until"),
                      case_system=request.case_system, include_delivered=request.include_delivered)


router.include_router(deliveries_router)
router.include_router(case_systems_router)
