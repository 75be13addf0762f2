"""Migrations: applied once, in order, recorded; a database made before 0004 is brought up."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from hub.store import migrations
from hub.store.db import Database


def test_migrations_are_recorded_and_not_applied_twice(hub_db):
    with hub_db.connect() as conn:
        versions = list(conn.execute(select(migrations.schema_version.c.version)).scalars())
    assert versions == [v for v, _ in migrations.available()]
    again = Database.open(hub_db.url)
    with again.begin() as conn:
        assert migrations.apply(conn) == []
    again.dispose()


def test_a_database_from_before_0004_gets_the_gap_column(hub_db):
    with hub_db.begin() as conn:
        conn.execute(text("ALTER TABLE agents DROP COLUMN gap_since"))
        conn.execute(migrations.schema_version.delete().where(migrations.schema_version.c.version == 4))
    reopened = Database.open(hub_db.url)
    with reopened.connect() as conn:
        assert "gap_since" in {c["name"] for c in inspect(conn).get_columns("agents")}
    reopened.dispose()
