"""What a person must check on a Concert terminal when the cash register cannot know.

Concert V2 has no way to ask the terminal about a past transaction: no status enquiry,
no repeat of the last answer.  When the answer is lost (timeout, cable pulled, garbled,
restart in the middle) the only source of truth is the terminal itself: its screen, its
last ticket (most terminals reprint it as "duplicata") and its transaction journal.
These texts tell the operator exactly what to look for and what to do with it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from agent.terminal.base import Intent, IntentKind

WHAT = {
    IntentKind.PAYMENT: "a payment (debit)",
    IntentKind.REFUND: "a refund (credit)",
    IntentKind.REVERSAL: "a cancellation (annulation)",
}


def money(amount_minor: int, currency: str) -> str:
    return f"{amount_minor // 100}.{amount_minor % 100:02d} {currency}"


def _when(sent_at: datetime | None, intent: Intent) -> str:
    moment = sent_at
    if moment is None and intent.created_at:
        try:
            moment = datetime.fromisoformat(intent.created_at.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        return "at the time of the request"
    local = moment.astimezone()
    utc = moment.astimezone(timezone.utc)
    return f"at about {local:%H:%M} local time ({utc:%Y-%m-%d %H:%M} UTC)"


def operator_hint(intent: Intent, *, sent_at: datetime | None = None, private_tag: str | None = None,
                  why: str = "") -> str:
    """The precise instruction for an OPERATOR_CHECK outcome of a Concert request."""
    what = WHAT[intent.kind]
    amount = money(intent.amount_minor, intent.currency)
    lines = [
        (f"{why} " if why else "") + "The Concert protocol cannot ask the terminal what happened, "
        "so a person must read it on the terminal before anything else is done.",
        f"1. On the terminal, look for {what} of {amount} {_when(sent_at, intent)}: "
        "read its screen, then reprint its last ticket (the 'duplicata' / last-ticket menu) "
        "or open its transaction journal.",
    ]
    if intent.kind is IntentKind.REVERSAL and intent.receipt_no:
        lines.append(f"   The cancellation was meant for the transaction with receipt number {intent.receipt_no}.")
    if private_tag:
        lines.append(f"   Terminals that print the cash register's private field show it as {private_tag!r}.")
    lines += [
        f"2. If that ticket shows {amount} ACCEPTED at that time: it went through. Record it as "
        "approved and do NOT start it again (that would charge the card twice).",
        "3. If it shows a refusal or an abandon, or the last ticket is an older transaction: "
        "nothing happened. Record it as not charged; only then may a new request be started.",
    ]
    if intent.reference:
        lines.append(f"Reference of this request: {intent.reference}.")
    return "\n".join(lines)


def cancel_by_hand_hint(intent: Intent) -> str:
    """For reversals when the driver is set not to send Concert's cancellation itself."""
    receipt = f" with receipt number {intent.receipt_no}" if intent.receipt_no else ""
    return (f"Concert cannot reverse a transaction by its receipt number. Cancel it on the terminal "
            f"itself: choose the cancellation ('annulation') function in its menu, present the same "
            f"card, and select the transaction of {money(intent.amount_minor, intent.currency)}{receipt}. "
            f"Then record here whether the terminal printed a cancellation ticket.")
