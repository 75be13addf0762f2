"""Create, read and search payment orders; every creation is audited and picks up
payments that already arrived for it (they were waiting in the unlinked queue)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.catalogue import service as catalogue
from hub.config import Settings
from hub.errors import InvalidInput
from hub.linking.linker import link_waiting_payments
from hub.linking.status import payments_of_orders, summarise
from hub.orders.model import OrderRequest
from hub.orders.paid_into import order_account
from hub.orders.qr import order_qr
from hub.orders.references import new_order_id, pagopa_notice, rf_reference
from hub.store.tables import orders
from hub.store.timeutil import now_iso
from protocol.domain import ReferenceFormat

__all__ = ["OrderRequest", "OrderError", "create_order", "get_order", "search_orders", "order_view", "order_views"]


class OrderError(ValueError, InvalidInput):
    """The order cannot be made as asked; the message says why."""


def order_columns(request: OrderRequest, settings: Settings, actor: str, order_id: str | None = None) -> dict[str, Any]:
    order_id = order_id or new_order_id()
    if request.reference_format == ReferenceFormat.RF:
        reference, iuv = rf_reference(order_id), None
    elif not settings.creditor_fiscal_code:
        raise OrderError("this hub issues no pagoPA notices: set [orders] creditor_fiscal_code in its "
                         "configuration to the office's fiscal code, or use reference_format 'rf'")
    else:
        reference, iuv = pagopa_notice(settings.segregation_code)
    payer = request.payer
    return {"order_id": order_id, "amount_kind": request.amount_kind, "amount_minor": request.amount_minor,
            "currency": request.currency, "reference_format": request.reference_format, "reference": reference,
            "iuv": iuv, "case_ref": request.case_ref, "office": request.office, "payer_name": payer.name if payer else None,
            "payer_id": payer.id if payer else None, "payer_email": payer.email if payer else None,
            "payer_language": payer.language if payer else None, "payer_address": payer.address if payer else None,
            "description": request.description,
            "due_date": request.due_date.isoformat() if request.due_date else None,
            "positions": ",".join(request.positions) or None, "account_iban": request.account,
            "created_at": now_iso(), "created_by": actor}


def unknown_positions(conn: Connection, codes: list[str], document: dict[str, Any] | None = None,
                      office: str | None = None) -> list[str]:
    """Codes not in the published catalogue of the order's office (its own price lists and the shared
    ones; none are checked while nothing is published)."""
    document = document or (catalogue.effective(conn, office) if codes else None)
    if document is None:
        return []
    known = {p["code"] for price_list in document["price_lists"] for p in price_list["positions"]}
    return [code for code in codes if code not in known]


def insert_order(conn: Connection, columns: dict[str, Any], settings: Settings, signing_key) -> dict[str, Any]:
    columns = dict(columns)
    codes = position_codes(columns)
    document = catalogue.effective(conn, columns.get("office")) if codes else None
    unknown = unknown_positions(conn, codes, document)
    if unknown:
        raise OrderError(f"positions {', '.join(unknown)} are not in the published fee catalogue")
    columns["account_iban"] = order_account(conn, columns, document, codes)
    columns["qr_payload"] = order_qr(columns, signing_key) if signing_key else None
    conn.execute(orders.insert().values(**columns))
    linked = link_waiting_payments(conn, columns)
    record(conn, columns["created_by"], "order.create", f"order:{columns['order_id']}",
           {"reference": columns["reference"], "amount_minor": columns["amount_minor"],
            "currency": columns["currency"], "case_ref": columns["case_ref"], "linked_payments": linked})
    return columns


def create_order(conn: Connection, request: OrderRequest, settings: Settings, actor: str, *,
                 signing_key=None, order_id: str | None = None) -> dict[str, Any]:
    return insert_order(conn, order_columns(request, settings, actor, order_id), settings, signing_key)


def get_order(conn: Connection, order_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().first()
    return dict(row) if row else None


def order_view(conn: Connection, order: dict[str, Any]) -> dict[str, Any]:
    return order_views(conn, [order])[0]


def order_views(conn: Connection, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`order_view` of each order of a list, their payments read in one query: a page of 50
    orders costs two queries, not 51."""
    paid = payments_of_orders(conn, [order["order_id"] for order in listed])
    return [_viewed(order, paid[order["order_id"]]) for order in listed]


def _viewed(order: dict[str, Any], paid: list[dict[str, Any]]) -> dict[str, Any]:
    return order | {"positions": position_codes(order)} | summarise(order, paid) | {"payments": paid}


def position_codes(order: dict[str, Any]) -> list[str]:
    value = order.get("positions")
    if isinstance(value, list):
        return value
    return [code for code in (value or "").split(",") if code]


def search_orders(conn: Connection, *, case_ref: str | None = None, reference: str | None = None,
                  payer: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    query = select(orders).order_by(orders.c.created_at.desc(), orders.c.order_id).limit(limit).offset(offset)
    if case_ref:
        query = query.where(orders.c.case_ref == case_ref)
    if reference:
        compact = "".join(reference.split()).upper()
        query = query.where((orders.c.reference == compact) | (orders.c.iuv == compact) | (orders.c.order_id == reference))
    if payer:
        query = query.where((orders.c.payer_id == payer) | orders.c.payer_name.icontains(payer, autoescape=True))
    return order_views(conn, [dict(row) for row in conn.execute(query).mappings()])
