"""The fee catalogue: drafts, validation, publishing (retained to agents over MQTT)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from protocol.wire import topics
from hub.api.deps import Db, Hub, RowId, caller, require_role
from hub.api.schemas.catalogue import (CatalogueCheck, CataloguePublished, CatalogueVersion,
                                       CatalogueVersionSummary, DraftAdded, PublishedCatalogue)
from hub.catalogue import service
from hub.catalogue.model import Catalogue

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])
READERS = Depends(require_role("operator", "auditor", "case-system", permission="catalogue.read"))
WRITERS = Depends(require_role("operator", permission="catalogue.write"))
Writer = caller("operator", permission="catalogue.write")


@router.get("", response_model=PublishedCatalogue, dependencies=[READERS])
def published(db: Db) -> dict:
    with db.connect() as conn:
        document = service.current(conn)
    if document is None:
        raise HTTPException(404, "no catalogue version is published yet")
    return document


@router.post("/validate", response_model=CatalogueCheck, dependencies=[WRITERS])
def validate(catalogue: Catalogue) -> dict:
    # The body was validated on the way in (422 names every bad field); here it passed.
    return {"valid": True, "price_lists": len(catalogue.price_lists),
            "positions": sum(len(p.positions) for p in catalogue.price_lists)}


@router.get("/versions", response_model=list[CatalogueVersionSummary], dependencies=[READERS])
def versions(db: Db) -> list[dict]:
    with db.connect() as conn:
        return service.versions(conn)


@router.get("/versions/{version}", response_model=CatalogueVersion, dependencies=[READERS])
def version(version: RowId, db: Db) -> dict:
    with db.connect() as conn:
        row = service.get_version(conn, version)
    if row is None:
        raise HTTPException(404, f"catalogue version {version} does not exist")
    return row


@router.post("/versions", status_code=201, response_model=DraftAdded)
def add_draft(catalogue: Catalogue, principal: Writer, db: Db) -> dict:
    with db.begin() as conn:
        return {"version": service.add_draft(conn, catalogue, principal.actor), "status": "draft"}


@router.post("/versions/{version}/publish", response_model=CataloguePublished)
def publish(version: RowId, principal: Writer, hub: Hub, db: Db) -> dict:
    with db.begin() as conn:
        document = service.publish(conn, version, principal.actor)
    # Retained, after the commit: agents that connect later still get this version.
    sent = hub.publish(topics.CATALOGUE, service.payload(document), retain=True)
    return {"version": version, "status": "published", "sent_to_agents": sent}
