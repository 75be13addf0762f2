"""Telling the desks of an office where they may take cards: `card.activation`, retained.

Per office, on `cp/v1/broadcast/cards/<office>` (protocol.wire.topics.card_activation),
a `card.activation` envelope signed with the hub's event key
(protocol.wire.messages.CardActivation) lists every service step of that office whose
application is active, each with the last day of the office's card contract, so a desk
offline past that day stops offering cards by itself.

It is the whole set each time: a desk replaces what it held (agent/sync/card_activation.py),
and one installed today, or behind a broker that lost its retained messages, gets the
same picture.  Published when the hub connects to the broker (hub/serve.py), after every
committed approve or suspend and contract registration (`publish_for`), and by the
`counterpay hub activation` commands through a one-shot connection (`publish_once`).
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, select

from hub.activation.applications import active_steps
from hub.context import HubContext
from hub.store.db import Database
from hub.store.tables_activation import card_applications, card_contracts
from hub.store.tables_pki import agent_certificates
from protocol.keys import SigningKey
from protocol.wire import make, topics
from protocol.wire.messages import CardActivation, body_of, build

log = logging.getLogger(__name__)
SENDER = "hub"


def office_payload(conn: Connection, office: str, key: SigningKey) -> bytes:
    body = body_of(build(CardActivation, office=office, active=active_steps(conn, office)))
    return make(SENDER, 0, "card.activation", body, key).encode()


def offices_told(conn: Connection) -> list[str]:
    """Every office with a desk enrolled, an application or a contract: each gets its set."""
    enrolled = select(agent_certificates.c.office).where(agent_certificates.c.revoked_at.is_(None))
    found = {row[0] for row in conn.execute(enrolled.union(select(card_applications.c.office),
                                                           select(card_contracts.c.office)))}
    return sorted(office for office in found if office)


def publish_office(conn: Connection, context: HubContext, office: str) -> bool:
    return context.publish(topics.card_activation(office), office_payload(conn, office, context.event_key),
                           retain=True)


def publish_all(conn: Connection, context: HubContext) -> int:
    told = offices_told(conn)
    for office in told:
        publish_office(conn, context, office)
    return len(told)


def publish_for(db: Database, context: HubContext, office: str) -> None:
    """After a committed change of `office`'s applications or contracts.  A failure is logged, never
    raised: the change stands, and the next one or the hub's next connect publishes it."""
    try:
        with db.connect() as conn:
            publish_office(conn, context, office)
    except Exception:
        log.exception("telling the desks of office %r where they take cards failed; the next change or hub "
                      "start publishes it", office)


def publish_once(settings, office: str, payload: bytes, timeout_s: float = 10.0) -> str | None:
    """From a command line: publish the office's set retained and wait for the PUBACK.
    None on success, else what went wrong (the running hub publishes it at its next start)."""
    from hub.pki.publish import publish_retained
    return publish_retained(settings, topics.card_activation(office), payload, "the card activation", timeout_s)
