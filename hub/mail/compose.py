"""One notice e-mail: headers, a short text in the payer's language, the notice PDF attached.

Texts come from the console's catalogues (hub/web/locales/*.json, keys `mail.*`), amounts
and dates in the payer's language's conventions.  The Message-ID is the one the ledger
fixed when it queued the message, so every attempt of one message carries the same.
"""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

from hub.mail.attachment import attachment_name
from hub.web.i18n import catalogue, format_date, format_money
from protocol.ids import pagopa, rf
from protocol.domain import ReferenceFormat


def _reference(order: dict[str, Any]) -> str:
    return rf.format(order["reference"]) if order["reference_format"] == ReferenceFormat.RF \
        else pagopa.format(order["reference"])


def body_text(order: dict[str, Any], language: str) -> tuple[str, str]:
    """(subject, body) of the notice e-mail for `order` in `language`."""
    t = catalogue(language).t
    reference = _reference(order)
    lines = [t("mail.greeting_named", name=order["payer_name"]) if order.get("payer_name") else t("mail.greeting"), ""]
    if order["amount_minor"] is not None:
        amount = format_money(order["amount_minor"], order["currency"], language)
        lines.append(t("mail.body", order_id=order["order_id"], amount=amount, reference=reference))
    else:
        lines.append(t("mail.body_open", order_id=order["order_id"], reference=reference))
    if order.get("due_date"):
        lines.append(t("mail.due", due_date=format_date(dt.date.fromisoformat(order["due_date"]), language)))
    lines += ["", t("mail.how"), "", t("mail.closing")]
    return t("mail.subject", reference=reference), "\n".join(lines) + "\n"


def compose(order: dict[str, Any], *, recipient: str, language: str, message_id: str, sender: str,
            reply_to: str, pdf: bytes) -> EmailMessage:
    subject, body = body_text(order, language)
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    # The payer's name as the display name: RFC 2047-encoded by the policy, so "Jānis" arrives whole.
    message["To"] = Address(display_name=order.get("payer_name") or "", addr_spec=recipient)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = message_id
    message.set_content(body)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=attachment_name(order["order_id"]))
    # After add_attachment: making the message multipart moves Content-* headers into its first part.
    message["Content-Language"] = language
    return message


def envelope_sender(sender: str) -> str:
    """The bare address of `[smtp] sender` ('Office <a@b>' → 'a@b'), for MAIL FROM."""
    return parseaddr(sender)[1]
