"""A published catalogue and a valid contract, so a card-payment application can be submitted."""

from __future__ import annotations

from hub.activation.contracts import add_contract
from hub.catalogue import service as catalogue
from hub.catalogue.model import Catalogue

CATALOGUE = {"currency": "EUR", "price_lists": [
    {"code": "VEH", "name": "Vehicle registration", "service_step": 1,
     "positions": [{"code": "REG-1", "name": "Registration", "unit_price_minor": 4500}]},
    {"code": "CASH-ONLY", "name": "Stamp duty", "service_step": 2,
     "positions": [{"code": "STAMP", "name": "Stamp", "unit_price_minor": 1600, "tenders": ["cash"]}]},
]}


def publish_catalogue(conn, document: dict = CATALOGUE) -> int:
    version = catalogue.add_draft(conn, Catalogue.model_validate(document), "test")
    catalogue.publish(conn, version, "test")
    return version


def register_contract(conn, office: str = "RIGA-1", valid_from: str = "2020-01-01", valid_to: str | None = None,
                      number: str = "K-1") -> dict:
    return add_contract(conn, office=office, acquirer="Swedbank", contract_no=number, valid_from=valid_from,
                        valid_to=valid_to, actor="user:office")
