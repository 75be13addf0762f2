"""What a notice says, in the payer's language: its kind, its texts and its codes.

The kind decides the layout payers of each country expect (hub/notices/layouts/):

    pagopa  an order with a pagoPA notice number (Italy): AgID's notice, with pagoPA's QR
    sepa    a euro order with an RF reference and a payee: the EPC QR of a SEPA transfer
    zbp     a złoty order into a Polish account: the ZBP 2D code of a Polish transfer
    plain   none of those fits: the references alone

Every notice also carries our hub-signed order code for the office's counters and cash
points.  The payee of a transfer code is hub/orders/payee.py's: the order's account, else the
configured one.  Texts come from the console's catalogues under `notice.`; money and dates
are written the language's way (protocol/i18n.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hub.config import PAYER_LANGUAGES, Settings
from hub.orders.payee import Payee
from hub.orders.qr import pagopa_qr
from hub.web.i18n import catalogue, format_date, format_money
from protocol.domain import ReferenceFormat
from protocol.i18n import Catalogue
from protocol.ids import iban, pagopa, rf
from protocol.qr import epc, zbp
from protocol.qr.base import QrFormatError

KINDS = ("pagopa", "sepa", "zbp", "plain")


@dataclass
class Notice:
    kind: str
    language: str
    t: Catalogue
    order: dict[str, Any]
    amount: str                     # as the language writes it, or the catalogue's "the amount you owe"
    due: str                        # the date as the language writes it, or "no due date"
    reference: str                  # the notice code or RF reference, grouped as printed
    creditor_name: str
    creditor_fiscal_code: str
    payee: Payee | None
    payment_code: str | None        # pagoPA's, EPC's or ZBP's payload, by kind; None for plain
    counter_code: str | None        # our signed order code
    texts: list[str] = field(default_factory=list)   # every string the notice may print (for its font)


def notice_language(order: dict[str, Any], settings: Settings) -> str:
    """The payer's language (the order's), else the office's ([orders] language), else English."""
    for language in (order.get("payer_language"), settings.language):
        if language in PAYER_LANGUAGES:
            return language
    return "en"


def transfer_code(order: dict[str, Any], payee: Payee | None) -> str | None:
    """The bank transfer QR for paying `order` into `payee`'s account, or None where none fits."""
    if payee is None or not payee.name:
        return None
    amount = order["amount_minor"] if order["amount_kind"] == "fixed" else None
    try:
        if order["currency"] == "EUR" and order["reference_format"] == ReferenceFormat.RF:
            return epc.make(payee.name[:epc.LIMITS["name"]], payee.iban, amount, reference=order["reference"])
        if order["currency"] == "PLN" and payee.iban.startswith("PL"):
            # ZBP's amount has 6 digits: a larger amount gets no code rather than a wrong one.
            return zbp.make(payee.iban, payee.name[:zbp.LIMITS["name"]], order["reference"][:zbp.LIMITS["title"]],
                            amount or 0)
    except QrFormatError:
        return None
    return None


def _kind(order: dict[str, Any], transfer: str | None) -> str:
    if order["reference_format"] == ReferenceFormat.PAGOPA:
        return "pagopa"
    if transfer is None:
        return "plain"
    return "sepa" if epc.detect(transfer) else "zbp"


def _due(order: dict[str, Any], language: str, t: Catalogue) -> str:
    try:
        return format_date(dt.date.fromisoformat(order["due_date"]), language)
    except (TypeError, ValueError):
        return t.t("notice.no_due")


def build(order: dict[str, Any], settings: Settings, payee: Payee | None, language: str | None = None) -> Notice:
    language = language if language in PAYER_LANGUAGES else notice_language(order, settings)
    t = catalogue(language)
    transfer = transfer_code(order, payee)
    kind = _kind(order, transfer)
    if kind == "pagopa":
        code = pagopa_qr(order, settings.creditor_fiscal_code) if settings.creditor_fiscal_code else None
        reference = pagopa.format(order["reference"])
    else:
        code = transfer
        reference = rf.format(order["reference"]) if order["reference_format"] == ReferenceFormat.RF \
            else order["reference"]
    amount = (format_money(order["amount_minor"], order["currency"], language)
              if order["amount_minor"] is not None and order["amount_kind"] == "fixed" else t.t("notice.open_amount"))
    notice = Notice(kind=kind, language=language, t=t, order=order, amount=amount, due=_due(order, language, t),
                    reference=reference, creditor_name=(payee.name if payee else "") or settings.beneficiary,
                    creditor_fiscal_code=settings.creditor_fiscal_code, payee=payee, payment_code=code,
                    counter_code=order.get("qr_payload") or None)
    notice.texts = [str(order.get(key) or "") for key in ("payer_name", "payer_id", "payer_address", "description",
                                                        "case_ref", "order_id")]
    notice.texts += [notice.creditor_name, amount, notice.due]
    return notice


def account(payee: Payee) -> str:
    """The payee's account as printed: an IBAN in groups of four."""
    return iban.format(payee.iban)
