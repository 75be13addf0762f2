"""The fee catalogue: drafts, validation, publishing (retained to agents over MQTT).

Every route takes an office choice, `?office=CODE`: without it the shared catalogue, with it
that office's own fee dictionaries.  A caller scoped to some offices reads the shared
catalogue and its own offices' and writes only its own offices'; another office's catalogue
is answered like one that does not exist (404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from hub.api.deps import Db, Hub, RowId, caller, require_role
from hub.api.schemas.catalogue import (CatalogueCheck, CataloguePublished, CatalogueVersion,
                                       CatalogueVersionSummary, DraftAdded, PublishedCatalogue)
from hub.api.security import Principal
from hub.catalogue import service
from hub.catalogue.model import Catalogue

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])
READERS = Depends(require_role("operator", "auditor", "case-system", permission="catalogue.read"))
WRITERS = Depends(require_role("operator", permission="catalogue.write"))
Reader = caller("operator", "auditor", "case-system", permission="catalogue.read")
Writer = caller("operator", permission="catalogue.write")
Office = Annotated[str | None, Query(min_length=1, max_length=64,
                                     description="an office's own catalogue; absent: the shared one")]


def _readable(principal: Principal, office: str | None) -> None:
    if office is not None and not principal.scope.allows(office):
        raise HTTPException(404, f"office {office} has no catalogue you may see")


def _writable(principal: Principal, office: str | None) -> None:
    if office is None and not principal.scope.is_everything:
        raise HTTPException(403, "the shared catalogue is changed by users of every office; "
                                 "choose one of your offices (?office=CODE)")
    if office is not None and not principal.scope.allows(office):
        raise HTTPException(403, f"office {office} is not one of yours")


@router.get("", response_model=PublishedCatalogue, response_model_exclude_unset=True)
def published(principal: Reader, db: Db, office: Office = None) -> dict:
    _readable(principal, office)
    with db.connect() as conn:
        document = service.current(conn, office)
    if document is None:
        raise HTTPException(404, "no catalogue version is published yet" if office is None
                            else f"office {office} has no published catalogue of its own")
    return document


@router.post("/validate", response_model=CatalogueCheck, dependencies=[WRITERS])
def validate(catalogue: Catalogue) -> dict:
    # The body was validated on the way in (422 names every bad field); here it passed.
    return {"valid": True, "price_lists": len(catalogue.price_lists),
            "positions": sum(len(p.positions) for p in catalogue.price_lists)}


@router.get("/versions", response_model=list[CatalogueVersionSummary])
def versions(principal: Reader, db: Db, office: Office = None) -> list[dict]:
    _readable(principal, office)
    with db.connect() as conn:
        return service.versions(conn, principal.scope, office=office, shared_only=office is None)


@router.get("/versions/{version}", response_model=CatalogueVersion)
def version(version: RowId, principal: Reader, db: Db) -> dict:
    with db.connect() as conn:
        row = service.get_version(conn, version)
    if row is None or (row["office"] is not None and not principal.scope.allows(row["office"])):
        raise HTTPException(404, f"catalogue version {version} does not exist")
    return row


@router.post("/versions", status_code=201, response_model=DraftAdded)
def add_draft(catalogue: Catalogue, principal: Writer, db: Db, office: Office = None) -> dict:
    _writable(principal, office)
    with db.begin() as conn:
        return {"version": service.add_draft(conn, catalogue, principal.actor, office), "status": "draft"}


@router.post("/versions/{version}/publish", response_model=CataloguePublished)
def publish(version: RowId, principal: Writer, hub: Hub, db: Db) -> dict:
    with db.connect() as conn:
        exists, office = service.version_office(conn, version)
    if exists and office is not None and not principal.scope.allows(office):
        raise HTTPException(404, f"catalogue version {version} does not exist")
    _writable(principal, office)
    with db.begin() as conn:
        document = service.publish(conn, version, principal.actor)
    # Retained, after the commit: agents that connect later still get this version.
    sent = hub.publish(service.topic(office), service.payload(document), retain=True)
    return {"version": version, "status": "published", "sent_to_agents": sent, "office": office}
