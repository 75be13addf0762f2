"""Hub fixtures: the database on SQLite and on PostgreSQL, a hub context, fake agents.

Every test using `hub_db` runs twice: on a fresh SQLite file and on a fresh
PostgreSQL schema (when CP_TEST_PG_URL is set; see scripts/postgres-test-db.sh).
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from protocol.keys import KeyDirectory, SigningKey
from hub.config import Settings
from hub.context import HubContext
from hub.store.db import Database
from tests.hub.web_support import console

PG_URL = os.environ.get("CP_TEST_PG_URL")


def _pg_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hub_db(request, tmp_path):
    if request.param == "sqlite":
        database = Database.open(f"sqlite:///{tmp_path / 'hub.db'}")
        yield database
        database.dispose()
        return
    if not PG_URL:
        pytest.skip("CP_TEST_PG_URL is not set (run scripts/postgres-test-db.sh)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    database = Database.open(_pg_schema_url(PG_URL, schema))
    yield database
    database.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def directory() -> KeyDirectory:
    return KeyDirectory()


CREDITOR_FISCAL_CODE = "00311260095"    # a valid Italian fiscal code (partita IVA check digit)


@pytest.fixture
def hub_context(hub_db, directory, tmp_path) -> HubContext:
    settings = Settings(database_url=hub_db.url, data_dir=tmp_path, creditor_fiscal_code=CREDITOR_FISCAL_CODE)
    return HubContext(settings=settings, db=hub_db, order_key=SigningKey.generate(),
                      event_key=SigningKey.generate(), static_directory=directory, directory_ttl_s=0.0)


# The console with its first admin, `boss`, and a browser-like client logged in as boss
# (tests/hub/web_support.py); a module that needs another console defines its own `hub`.
@pytest.fixture
def hub(tmp_path):
    with console(tmp_path) as running:
        running.user("boss", "admin")
        yield running


@pytest.fixture
def admin(hub):
    visitor = hub.client()
    assert visitor.login("boss").status_code == 303
    return visitor
