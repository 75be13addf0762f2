"""0024: card_contracts, card_applications and card_application_events (card payments per service step).

Frozen as released, on this module's own `MetaData` (hub/store/tables_activation.py
describes the tables as they are now).  Existing sites get no application: after this
upgrade their desks refuse cards for catalogue service steps until one is approved
(README, "Card payments per service step").
"""

from sqlalchemy import BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, UniqueConstraint

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})
_id = BigInteger().with_variant(Integer, "sqlite")

_contracts = Table(
    "card_contracts", _metadata,
    Column("id", _id, primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("acquirer", String(200), nullable=False),
    Column("contract_no", String(64), nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_to", String(10)),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("office", "acquirer", "contract_no", name="uq_card_contracts_office_acquirer_no"),
)
Index("ix_card_contracts_office", _contracts.c.office, _contracts.c.id)

_applications = Table(
    "card_applications", _metadata,
    Column("id", _id, primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("service", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("active_since", String(40)),
    UniqueConstraint("office", "service", name="uq_card_applications_office_service"),
)
Index("ix_card_applications_state", _applications.c.state, _applications.c.office)

_events = Table(
    "card_application_events", _metadata,
    Column("id", _id, primary_key=True, autoincrement=True),
    Column("application_id", _id, nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("text", String(2000)),
)
Index("ix_card_application_events_application", _events.c.application_id, _events.c.id)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
