"""Card payments switched on per office and service step (seed 000): contracts, applications, their history.

A card contract is the office's signed contract with an acquirer; `valid_from`/`valid_to`
are days (YYYY-MM-DD, inclusive; `valid_to` NULL: open-ended).  An application is one
office's request to take cards for one service step (a price list's code), in one of the
states of protocol.domain.CardApplicationState; every transition and comment is a row of
`card_application_events`, kept for good (and written to the audit log too).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, UniqueConstraint

from hub.store.metadata import metadata

card_contracts = Table(
    "card_contracts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("acquirer", String(200), nullable=False),
    Column("contract_no", String(64), nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_to", String(10)),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("office", "acquirer", "contract_no", name="uq_card_contracts_office_acquirer_no"),
)
Index("ix_card_contracts_office", card_contracts.c.office, card_contracts.c.id)

card_applications = Table(
    "card_applications", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("service", String(64), nullable=False),          # the service step: its price list's code
    Column("state", String(16), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("active_since", String(40)),                      # when it last became active
    UniqueConstraint("office", "service", name="uq_card_applications_office_service"),
)
Index("ix_card_applications_state", card_applications.c.state, card_applications.c.office)

card_application_events = Table(
    "card_application_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("application_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(16), nullable=False),            # submit | comment | approve | suspend
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("text", String(2000)),                            # the comment, or why
)
Index("ix_card_application_events_application", card_application_events.c.application_id,
      card_application_events.c.id)

ACTIVATION_TABLES = (card_contracts, card_applications, card_application_events)
