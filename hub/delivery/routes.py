"""API routes of webhook delivery.

    GET  /api/v1/deliveries                   ?status=pending|delivered|dead|unrouted&case_system=&since=&until=
    GET  /api/v1/deliveries/dead-letters      the dead-letter list
    GET  /api/v1/deliveries/{event_id}        one confirmation: payload, why it waits, every attempt
    POST /api/v1/deliveries/replay            {"event_ids": [...]} or {"since", "until", "include_delivered"}

Every route answers within the caller's office scope (`Principal.scope`): a delivery is of
its agent's office, and one of another office is answered like one that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from protocol.domain import DeliveryStatus, DeliveryStatusValue
from hub.api.deps import Db, Limit, Offset, caller, require_role
from hub.api.security import Principal
from hub.api.schemas.deliveries import Delivery, DeliveryDetail, ReplayOutcome, ReplayRequest
from hub.delivery import listing, views
from hub.delivery.replay import replay
from hub.store.timeutil import normalise

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])
Reader = Depends(require_role("operator", "auditor", permission="deliveries.read"))
Replayer = caller("operator", permission="deliveries.replay")


def _time(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError:
        raise HTTPException(422, f"{name}={value!r} is not an RFC 3339 time such as 2026-11-22T12:00:00Z") from None


@router.get("", response_model=list[Delivery])
def list_deliveries(db: Db, status: DeliveryStatusValue | None = None, case_system: str | None = None,
                    since: str | None = None, until: str | None = None, limit: Limit = 100,
                    offset: Offset = 0, principal: Principal = Reader) -> list[dict]:
    with db.connect() as conn:
        return views.list_deliveries(conn, status=status, case_system=case_system, since=_time(since, "since"),
                                     until=_time(until, "until"), limit=limit, offset=offset,
                                     where=listing.in_scope(principal.scope))


@router.get("/dead-letters", response_model=list[Delivery])
def dead_letters(db: Db, case_system: str | None = None, limit: Limit = 100,
                 principal: Principal = Reader) -> list[dict]:
    with db.connect() as conn:
        return views.list_deliveries(conn, status=DeliveryStatus.DEAD, case_system=case_system,
                                     limit=limit, where=listing.in_scope(principal.scope))


@router.get("/{event_id}", response_model=DeliveryDetail)
def get_delivery(event_id: str, db: Db, principal: Principal = Reader) -> dict:
    with db.connect() as conn:
        item = listing.delivery_in_scope(conn, principal.scope, event_id)
    if item is None:
        raise HTTPException(404, f"no confirmation for event {event_id!r}")
    return item


@router.post("/replay", response_model=ReplayOutcome)
def replay_deliveries(request: ReplayRequest, db: Db, principal: Replayer) -> dict:
    with db.begin() as conn:
        return replay(conn, actor=principal.actor, event_ids=request.event_ids,
                      since=_time(request.since, "since"), until=_time(request.until, "until"),
                      case_system=request.case_system, include_delivered=request.include_delivered,
                      scope=principal.scope)
