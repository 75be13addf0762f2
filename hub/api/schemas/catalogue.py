"""The fee catalogue as published, its versions, and the answers to drafting and publishing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub.api.schemas.base import Schema
from hub.catalogue.model import Catalogue, HandlingFee, PriceList

VersionStatus = Literal["draft", "published", "superseded"]


class PublishedCatalogue(Schema):
    """The document agents get retained over MQTT."""
    version: int
    published_at: str
    currency: str
    price_lists: list[PriceList]
    handling_fees: list[HandlingFee] = []
    office: str | None = Field(default=None, description="the office whose own catalogue this is; absent: shared")


class CatalogueCheck(Schema):
    valid: bool
    price_lists: int
    positions: int


class CatalogueVersionSummary(Schema):
    version: int
    status: VersionStatus
    office: str | None = Field(default=None, description="the office whose own catalogue this is; null: shared")
    created_at: str
    created_by: str
    published_at: str | None


class CatalogueVersion(CatalogueVersionSummary):
    document: Catalogue


class DraftAdded(Schema):
    version: int
    status: Literal["draft"]


class CataloguePublished(Schema):
    version: int
    status: Literal["published"]
    office: str | None = None
    sent_to_agents: bool = Field(description="false when the hub has no MQTT publisher")
