"""Webhook deliveries at `/deliveries`: the backlog, the dead letters, one delivery with its attempts, replay.

Replay goes through hub.delivery.replay, the API's own path, with the viewer's office
scope: one dead letter from its page, or every dead letter of a time range (by case
system, if chosen).  A delivery of another office gets the not-found page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from hub.delivery import listing
from hub.delivery.replay import replay
from hub.store.paging import PagingError
from hub.users.sessions import Session
from hub.web.auth import require
from hub.web.listing import PAGE_SIZE, day_end, day_start, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("deliveries.read"))]
Replayer = Annotated[Session, Depends(require("deliveries.replay"))]
VIEWS = {"backlog": listing.BACKLOG, "dead": listing.DEAD}


def _list(request: Request, session: Session, view: str, *, case_system: str, since: str, until: str, sort: str,
          cursor: str, errors: dict | None = None, status_code: int = 200, notice: tuple | None = None):
    errors = dict(errors or {})
    try:
        range_ = (day_start(since), day_end(until))
    except ValueError:
        errors["since"] = ("deliveries.bad_date", {})
        range_ = (None, None)
    wanted = listing.DeliveryFilter(VIEWS[view], case_system=case_system or None, since=range_[0], until=range_[1])
    with request.app.state.db.connect() as conn:
        try:
            found = listing.delivery_page(conn, session.user.scope, wanted, sort=sort or None,
                                          cursor=cursor or None, limit=PAGE_SIZE)
        except PagingError:
            errors["form"] = ("deliveries.bad_cursor", {})
            found = listing.delivery_page(conn, session.user.scope, wanted, limit=PAGE_SIZE)
        systems = listing.case_system_names(conn)
    return render(request, "deliveries.html", session=session, view=view, found=found, systems=systems,
                  case_system=case_system, since=since, until=until, errors=errors, notice=notice,
                  sorts=list(listing.ORDERING.columns), link=lambda **changes: link(request, **changes),
                  iso=dt.datetime.fromisoformat,
                  status_code=422 if errors and status_code == 200 else status_code)


@router.get("/deliveries")
def backlog(request: Request, session: Reader, case_system: str = "", since: str = "", until: str = "",
            sort: str = "", cursor: str = ""):
    return _list(request, session, "backlog", case_system=case_system, since=since, until=until, sort=sort,
                 cursor=cursor)


@router.get("/deliveries/dead")
def dead_letters(request: Request, session: Reader, case_system: str = "", since: str = "", until: str = "",
                 sort: str = "", cursor: str = "", replayed: int = -1, unrouted: int = 0):
    notice = ("deliveries.replayed_range", {"count": replayed, "unrouted": unrouted}) if replayed >= 0 else None
    return _list(request, session, "dead", case_system=case_system, since=since, until=until, sort=sort,
                 cursor=cursor, notice=notice)


@router.post("/deliveries/replay")
def replay_range(request: Request, session: Replayer, since: str = Form(""), until: str = Form(""),
                 case_system: str = Form("")):
    kept = dict(case_system=case_system, since=since, until=until, sort="", cursor="")
    try:
        start, end = day_start(since), day_end(until)
    except ValueError:
        return _list(request, session, "dead", errors={"since": ("deliveries.bad_date", {})}, **kept)
    if start is None and end is None:
        return _list(request, session, "dead", errors={"since": ("deliveries.range_required", {})}, **kept)
    with request.app.state.db.begin() as conn:
        outcome = replay(conn, actor=session.user.actor, since=start, until=end, case_system=case_system or None,
                         scope=session.user.scope)
    query = urlencode({k: v for k, v in {"case_system": case_system, "replayed": len(outcome["replayed"]),
                                         "unrouted": len(outcome["still_unrouted"])}.items() if v != ""})
    return RedirectResponse(f"/deliveries/dead?{query}", status_code=303)


def _not_found(request: Request, session: Session, event_id: str):
    return render(request, "not_found.html", session=session, status_code=404,
                  message=("deliveries.not_found", {"event": event_id}), back="/deliveries")


@router.get("/deliveries/{event_id}")
def show(request: Request, session: Reader, event_id: str, done: str = ""):
    with request.app.state.db.connect() as conn:
        item = listing.delivery_in_scope(conn, session.user.scope, event_id)
    if item is None:
        return _not_found(request, session, event_id)
    notice = {"replayed": "deliveries.replayed_one", "pending": "deliveries.already_pending"}.get(done)
    return render(request, "delivery.html", session=session, item=item, notice=notice, iso=dt.datetime.fromisoformat)


@router.post("/deliveries/{event_id}/replay")
def replay_one(request: Request, session: Replayer, event_id: str):
    with request.app.state.db.begin() as conn:
        if not listing.sees_delivery(conn, session.user.scope, event_id):
            return _not_found(request, session, event_id)
        outcome = replay(conn, actor=session.user.actor, event_ids=[event_id], scope=session.user.scope)
    done = "replayed" if outcome["replayed"] else "pending"
    return RedirectResponse(f"/deliveries/{quote(event_id)}?done={done}", status_code=303)
