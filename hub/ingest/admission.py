"""What of an agent's checked message may be stored as sent: the checks that need more
than the message itself (the enrolled offices) or cost more than its shape (screening)."""

from __future__ import annotations

import logging

from protocol import card_numbers
from hub.ingest.checks import Checked, Rejected
from hub.ingest.offices import EnrolledOffices
from hub.ingest.refusals import CARD_NUMBER, OFFICE_MISMATCH, Refusal
from hub.ingest.screening import card_number_field

log = logging.getLogger(__name__)


def refusal_of(checked: Checked, raw: str, offices: EnrolledOffices) -> Refusal | None:
    """Why the agent's event must not be stored as sent, or None.  Logged by field
    name and event id only: the log must never hold the card number."""
    envelope = checked.envelope
    where = card_number_field(envelope.body, raw)
    if where is None and card_numbers.is_card_number(envelope.id.replace("-", "").replace(" ", "")):
        # An ack names the event by its id, so this one cannot even be answered.  Only an
        # id that is a card number as a whole: a UUID's digit groups pass Luhn now and then.
        log.warning("dropped an event of agent %s: its message id is a card number", envelope.agent)
        raise Rejected(CARD_NUMBER, "the message id is a card number", envelope.agent)
    if where is not None:
        log.warning("refused event %s of agent %s: a card number in %s", envelope.id, envelope.agent, where)
        if checked.kind != "events":
            raise Rejected(CARD_NUMBER, f"a card number in {where}", envelope.agent)
        return Refusal.of(envelope, CARD_NUMBER, f"a card number in {where}; a full card number is "
                          "never sent (the terminal gives the last four digits)")
    # A payment, and an end-of-day report that names its office (older agents' do not).
    named = envelope.body.get("office") if envelope.type in ("payment.captured", "eod.report") else None
    if named is not None:
        enrolled = offices.office_of(envelope.kid)
        if enrolled is not None and named != enrolled:
            log.warning("refused event %s of agent %s: office %r, enrolled for %r", envelope.id,
                        envelope.agent, named[:64], enrolled)
            what = "payment" if envelope.type == "payment.captured" else "end-of-day report"
            return Refusal.of(envelope, OFFICE_MISMATCH, f"the {what} names office {named!r}, but this "
                              f"agent is enrolled for office {enrolled!r}", keep=raw)
    return None
