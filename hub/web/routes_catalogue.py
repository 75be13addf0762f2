"""The fee catalogue: its versions (draft, published, superseded) with their positions, an
editor that saves a new draft, and publishing.

Drafts are never changed in place: editing a version saves a new draft from it, as
`POST /api/v1/catalogue/versions` does.  The editor validates with the API's own
`Catalogue` model and publishes through the same service, then sends the document
retained to the agents after the commit, exactly as the API's publish route does.  The
editor works without JavaScript: "add a position" and "add a price list" post the
form and show it again with one more row.

A version is the shared catalogue's or one office's (its fee dictionaries and handling fee
rules).  A user of some offices sees the shared versions and its offices', and drafts and
publishes only its offices'; another office's version is answered as unknown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from sqlalchemy import select

from protocol.domain import Tender
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
from hub.store.tables import catalogue_versions

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("catalogue.read"))]
Writer = Annotated[Session, Depends(require("catalogue.write"))]
DONE = {"draft": "catalogue.done.draft", "published": "catalogue.done.published"}


def office_choices(conn, session: Session) -> list[str]:
    """The offices a user may choose for a catalogue: its own, or (a user of every office) those
    with desks enrolled or catalogues kept."""
    if session.user.offices is not None:
        return list(session.user.offices)
    kept = conn.execute(select(catalogue_versions.c.office).distinct()
                        .where(catalogue_versions.c.office.is_not(None))).scalars()
    return sorted(set(admin_lists.enrollment_offices(conn, session.user.scope)) | set(kept))


def _may_see(session: Session, office: str | None) -> bool:
    return office is None or session.user.scope.allows(office)


def _may_change(session: Session, office: str | None) -> bool:
    return session.user.scope.is_everything if office is None else session.user.scope.allows(office)


@router.get("/catalogue")
def index(request: Request, session: Reader, status: str = "", office: str = "", sort: str = "", cursor: str = ""):
    wanted = AdminFilter(status=status, office=office)
    with request.app.state.db.connect() as conn:
        found, bad_link = keyset_page(
            lambda **at: admin_lists.catalogue_versions_page(conn, wanted, limit=PAGE_SIZE,
                                                             scope=session.user.scope, **at), sort, cursor)
        choices = office_choices(conn, session)
    return render(request, "catalogue.html", session=session, found=found, wanted=wanted, bad_link=bad_link,
                  office_choices=choices,
                  sorts=list(admin_lists.VERSION_ORDERING.columns),
                  statuses=[(s, f"catalogue.status.{s}") for s in admin_lists.VERSION_STATUSES],
                  link=lambda **changes: link(request, **changes))


def _version_page(request: Request, session: Session, version: int, *, done: str = "", errors=None,
                  status_code: int = 200):
    with request.app.state.db.connect() as conn:
        row = service.get_version(conn, version)
    if row is None or not _may_see(session, row["office"]):
        return render(request, "refused.html", session=session, status_code=404, reason="catalogue.unknown")
    return render(request, "catalogue_version.html", session=session, status_code=status_code, row=row,
                  document=row["document"], done=DONE.get(done, ""), errors=errors or {},
                  percent=lambda basis_points: percent_as_typed(basis_points, session.user.language))


@router.get("/catalogue/versions/{version}")
def version_detail(request: Request, session: Reader, version: int, done: str = ""):
    return _version_page(request, session, version, done=done)


@router.post("/catalogue/versions/{version}/publish")
def publish(request: Request, session: Writer, version: int):
    with request.app.state.db.connect() as conn:
        exists, office = service.version_office(conn, version)
    if exists and not _may_change(session, office):
        status_code = 403 if _may_see(session, office) else 404
        return render(request, "refused.html", session=session, status_code=status_code,
                      reason="catalogue.error.not_your_office" if status_code == 403 else "catalogue.unknown")
    try:
        with request.app.state.db.begin() as conn:
            document = service.publish(conn, version, session.user.actor)
    except CatalogueError as exc:
        reason = "catalogue.error.superseded" if isinstance(exc, service.VersionSuperseded) else "catalogue.unknown"
        return _version_page(request, session, version, status_code=409, errors={"form": (reason, {})})
    # Retained, after the commit: agents that connect later still get this version.
    request.app.state.hub.publish(service.topic(office), service.payload(document), retain=True)
    return RedirectResponse(f"/catalogue/versions/{version}?done=published", status_code=303)


def _editor(request: Request, session: Session, typed: dict, *, errors=None, source: int | None = None,
            status_code: int = 200):
    with request.app.state.db.connect() as conn:
        choices = office_choices(conn, session)
    return render(request, "catalogue_editor.html", session=session, status_code=status_code, typed=typed,
                  errors=errors or {}, source=source, tenders=[t.value for t in Tender], office_choices=choices)


@router.get("/catalogue/new")
def new_draft(request: Request, session: Writer, source: int | None = None):
    offices = session.user.offices
    typed = {"currency": "EUR", "lists": [blank_list()], "handling_fees": "",
             "office": offices[0] if offices else ""}
    if source is not None:
        with request.app.state.db.connect() as conn:
            row = service.get_version(conn, source)
        if row is not None and _may_see(session, row["office"]):
            typed = typed_from_document(row["document"] | {"office": row["office"]}, session.user.language)
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
    office = typed["office"] or None
    if not _may_change(session, office):
        errors = {**errors, "office": ("catalogue.error.not_your_office", {})}
        catalogue = None
    if catalogue is None:
        for price_list in typed["lists"]:
            price_list["positions"].append(blank_position())
        return _editor(request, session, typed, errors=errors, status_code=422)
    with request.app.state.db.begin() as conn:
        version = service.add_draft(conn, catalogue, session.user.actor, office)
    return RedirectResponse(f"/catalogue/versions/{version}?done=draft", status_code=303)
