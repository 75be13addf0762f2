"""The fee catalogue: its versions (draft, published, superseded) with their positions, an
editor that saves a new draft, and publishing.

Drafts are never changed in place: editing a version saves a new draft from it, as
`POST /api/v1/catalogue/versions` does.  The editor validates with the API's own
`Catalogue` model and publishes through the same service, then sends the document
retained to the agents after the commit, exactly as the API's publish route does.  The
editor works without JavaScript: "add a position" and "add a price list" post the
form and show it again with one more row.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from protocol.domain import Tender
from protocol.wire import topics
from hub.catalogue import service
from hub.catalogue.service import CatalogueError
from hub.users.sessions import Session
from hub.web import admin_lists
from hub.web.admin_lists import AdminFilter
from hub.web.auth import require
from hub.web.catalogue_form import blank_list, blank_position, to_catalogue, typed_from_document, typed_from_form
from hub.web.forms import percent_as_typed
from hub.web.listing import PAGE_SIZE, keyset_page, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("catalogue.read"))]
Writer = Annotated[Session, Depends(require("catalogue.write"))]
DONE = {"draft": "catalogue.done.draft", "published": "catalogue.done.published"}


@router.get("/catalogue")
def index(request: Request, session: Reader, status: str = "", sort: str = "", cursor: str = ""):
    wanted = AdminFilter(status=status)
    with request.app.state.db.connect() as conn:
        found, bad_link = keyset_page(
            lambda **at: admin_lists.catalogue_versions_page(conn, wanted, limit=PAGE_SIZE, **at), sort, cursor)
    return render(request, "catalogue.html", session=session, found=found, wanted=wanted, bad_link=bad_link,
                  sorts=list(admin_lists.VERSION_ORDERING.columns),
                  statuses=[(s, f"catalogue.status.{s}") for s in admin_lists.VERSION_STATUSES],
                  link=lambda **changes: link(request, **changes))


def _version_page(request: Request, session: Session, version: int, *, done: str = "", errors=None,
                  status_code: int = 200):
    with request.app.state.db.connect() as conn:
        row = service.get_version(conn, version)
    if row is None:
        return render(request, "refused.html", session=session, status_code=404, reason="catalogue.unknown")
    return render(request, "catalogue_version.html", session=session, status_code=status_code, row=row,
                  document=row["document"], done=DONE.get(done, ""), errors=errors or {},
                  percent=lambda basis_points: percent_as_typed(basis_points, session.user.language))


@router.get("/catalogue/versions/{version}")
def version_detail(request: Request, session: Reader, version: int, done: str = ""):
    return _version_page(request, session, version, done=done)


@router.post("/catalogue/versions/{version}/publish")
def publish(request: Request, session: Writer, version: int):
    try:
        with request.app.state.db.begin() as conn:
            document = service.publish(conn, version, session.user.actor)
    except CatalogueError as exc:
        reason = "catalogue.error.superseded" if isinstance(exc, service.VersionSuperseded) else "catalogue.unknown"
        return _version_page(request, session, version, status_code=409, errors={"form": (reason, {})})
    # Retained, after the commit: agents that connect later still get this version.
    request.app.state.hub.publish(topics.CATALOGUE, service.payload(document), retain=True)
    return RedirectResponse(f"/catalogue/versions/{version}?done=published", status_code=303)


def _editor(request: Request, session: Session, typed: dict, *, errors=None, source: int | None = None,
            status_code: int = 200):
    return render(request, "catalogue_editor.html", session=session, status_code=status_code, typed=typed,
                  errors=errors or {}, source=source, tenders=[t.value for t in Tender])


@router.get("/catalogue/new")
def new_draft(request: Request, session: Writer, source: int | None = None):
    typed = {"currency": "EUR", "lists": [blank_list()]}
    if source is not None:
        with request.app.state.db.connect() as conn:
            row = service.get_version(conn, source)
        if row is not None:
            typed = typed_from_document(row["document"], session.user.language)
    return _editor(request, session, typed, source=source)


@router.post("/catalogue/new")
async def save_draft(request: Request, session: Writer):
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str) and not key.endswith(".tenders")}
    tenders_of = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form.keys()
                  if key.endswith(".tenders")}
    typed = typed_from_form(fields, tenders_of)
    action = str(form.get("action", "save"))
    if action == "add_list":
        typed["lists"].append(blank_list())
        return _editor(request, session, typed)
    for price_list in typed["lists"]:
        price_list["positions"].append(blank_position())    # the row to fill next, left out if kept blank
    if action != "save":
        return _editor(request, session, typed)
    for price_list in typed["lists"]:
        price_list["positions"].pop()
    catalogue, errors = to_catalogue(typed, session.user.language)
    if catalogue is None:
        for price_list in typed["lists"]:
            price_list["positions"].append(blank_position())
        return _editor(request, session, typed, errors=errors, status_code=422)
    with request.app.state.db.begin() as conn:
        version = service.add_draft(conn, catalogue, session.user.actor)
    return RedirectResponse(f"/catalogue/versions/{version}?done=draft", status_code=303)
