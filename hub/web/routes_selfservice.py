"""The citizens' self-service page, public (no login): `/self-service`.

A payer types a notice number, IUV or RF and their fiscal code or payer id; when both match
one order (hub/selfservice/lookup.py) the page shows its amount, due date, status and every
payment against it, with links to download the notice and a receipt per payment.  Anything
else (an unknown notice, a wrong id) gets one answer, the same status and the same page.

- Language: `?lang=` (the switch on every page, also carried by the form and the links),
  else the browser's Accept-Language, else English.
- CSRF: a double-submit token, in a cookie of its own (path /self-service) and in the form,
  as the console's login form has.
- Throttle: lookups that found nothing, per client address, counted in the database
  (hub/selfservice/throttle.py, [web] selfservice_max_failures / selfservice_window_minutes);
  past the limit 429 with Retry-After and a message saying how long to wait.
- Downloads: only through signed links that expire (hub/selfservice/links.py), handed out by a
  lookup that matched; never reachable by an order id or a payment number.
- Log and audit: every lookup is logged with the address and keyed digests of what was typed
  (never the fiscal code itself); a lookup that matched is in the audit log (`selfservice.lookup`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from hub.audit.log import record
from hub.notices.render import render_notice_pdf
from hub.orders.payee import payee_of
from hub.orders.service import get_order
from hub.selfservice import links, throttle
from hub.selfservice.lookup import MAX_TYPED, compact, find_position
from hub.selfservice.receipt import render_receipt_pdf
from hub.store.tables import payments
from hub.web import auth, i18n
from hub.web.templating import language_for, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

PATH = "/self-service"
CSRF_COOKIE = "cp_selfservice_csrf"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _language(request: Request, chosen: str | None) -> str:
    return chosen if chosen in i18n.LANGUAGES else language_for(request, None)


def _key(request: Request) -> bytes:
    return links.link_key(request.app.state.hub.order_key)


def _page(request: Request, language: str, *, status_code: int = 200, headers: dict[str, str] | None = None,
          **context) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "selfservice.html", session=None, language=language, status_code=status_code,
                      headers={**NO_STORE, **(headers or {})}, csrf_token=token, path=PATH,
                      **({"position": None, "errors": {}} | context))
    response.set_cookie(CSRF_COOKIE, token, max_age=3600, path=PATH, secure=auth.settings_of(request).web.secure_cookies,
                        httponly=True, samesite="strict")
    return response


@router.get(PATH)
def form(request: Request, lang: str | None = None):
    return _page(request, _language(request, lang))


def _typed_digest(key: bytes, value: str) -> str:
    """What the log says of a typed value: a keyed digest, the same for the same value, that no
    one without the hub's key can turn back into a fiscal code."""
    return hmac.new(key, b"log\0" + compact(value).encode(), hashlib.sha256).hexdigest()[:16]


@router.post(PATH)
def lookup(request: Request, reference: str = Form(""), payer_id: str = Form(""), csrf_token: str = Form(""),
           lang: str = Form("")):
    language = _language(request, lang)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _page(request, language, status_code=403, errors={"form": ("selfservice.error.csrf", {})})
    errors = {}
    if not compact(reference):
        errors["reference"] = ("selfservice.error.reference_missing", {})
    elif len(compact(reference)) > MAX_TYPED:
        errors["reference"] = ("selfservice.error.too_long", {"limit": MAX_TYPED})
    if not compact(payer_id):
        errors["payer_id"] = ("selfservice.error.payer_missing", {})
    elif len(compact(payer_id)) > MAX_TYPED:
        errors["payer_id"] = ("selfservice.error.too_long", {"limit": MAX_TYPED})
    if errors:
        return _page(request, language, status_code=422, errors=errors)
    settings, address, now = auth.settings_of(request), auth.client_address(request), dt.datetime.now(dt.timezone.utc)
    policy = throttle.LookupPolicy(max_failures=settings.web.selfservice_max_failures,
                                   window_s=settings.web.selfservice_window_minutes * 60)
    key = _key(request)
    with request.app.state.db.begin() as conn:
        wait = throttle.wait_seconds(conn, address, policy, now)
        if wait:
            log.info("self-service lookup from %s refused: throttled for %d s", address, wait)
            minutes, seconds = divmod(wait, 60)
            return _page(request, language, status_code=429, headers={"Retry-After": str(wait)},
                         errors={"form": ("selfservice.error.throttled", {"minutes": minutes, "seconds": seconds})})
        position = find_position(conn, reference, payer_id)
        throttle.note(conn, address, position is not None, now)
        if position is not None:
            record(conn, f"self-service:{address}"[:100], "selfservice.lookup", f"order:{position['order_id']}",
                   {"address": address})
    log.info("self-service lookup from %s: %s (reference %s, payer id %s)", address,
             f"order {position['order_id']}" if position else "no match", _typed_digest(key, reference),
             _typed_digest(key, payer_id))
    if position is None:
        return _page(request, language, status_code=404, errors={"form": ("selfservice.error.no_match", {})})
    downloads = {"notice": links.make(key, position["order_id"], "notice", language)}
    for payment in position["payments"]:
        if not payment["voided_at"]:
            downloads[payment["id"]] = links.make(key, position["order_id"], f"receipt:{payment['id']}", language)
    return _page(request, language, position=position, downloads=downloads, iso=_moment)


def _moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


def _gone(request: Request, language: str) -> Response:
    return _page(request, language, status_code=404, errors={"form": ("selfservice.error.link", {})})


def _receipt_payment(conn, what: str, order_id: str) -> dict | None:
    """The payment a link's `receipt:<row id>` names, if it is (still) one of the order's."""
    kind, _, row_id = what.partition(":")
    if kind != "receipt" or not row_id.isdigit():
        return None
    row = conn.execute(select(payments).where(payments.c.id == int(row_id),
                                              payments.c.linked_order_id == order_id)).mappings().first()
    return dict(row) if row else None


@router.get(PATH + "/download/{token}")
def download(request: Request, token: str, lang: str | None = None):
    link = links.read(_key(request), token)
    if link is None:
        return _gone(request, _language(request, lang))
    settings = auth.settings_of(request)
    language = _language(request, link.language)
    with request.app.state.db.connect() as conn:
        order = get_order(conn, link.order_id)
        if order is None:
            return _gone(request, language)
        if link.what == "notice":
            pdf, name = render_notice_pdf(order, settings, payee_of(conn, order, settings), language), \
                f"notice-{order['order_id']}.pdf"
        else:
            payment = _receipt_payment(conn, link.what, order["order_id"])
            if payment is None:
                return _gone(request, language)
            payee = payee_of(conn, order, settings)
            creditor = (payee.name if payee else "") or settings.beneficiary
            pdf, name = render_receipt_pdf(payment, order, creditor, language), f"receipt-{payment['receipt_id']}.pdf"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Response(pdf, media_type="application/pdf",
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{safe}"'})
