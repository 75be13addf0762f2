"""Hub fixtures: the database on SQLite and on PostgreSQL, a hub context, fake agents.

Every test using `hub_db` runs twice: on a fresh SQLite file and on a fresh
PostgreSQL schema (when CP_TEST_PG_URL is set; see scripts/postgres-test-db.sh), both
migrated once per test process and handed out fresh (tests/support/hub_databases.py).
"""

from __future__ import annotations

import os

import pytest

from protocol.keys import KeyDirectory, SigningKey
from hub.config import Settings
from hub.context import HubContext
from hub.store.db import Database
from tests.hub.web_support import console
from tests.support import hub_databases

PG_URL = os.environ.get("CP_TEST_PG_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hub_db(request, tmp_path):
    if request.param == "sqlite":
        database = Database.open(f"sqlite:///{hub_databases.migrated_sqlite_file(tmp_path / 'hub.db')}")
        yield database
        database.dispose()
        return
    if not PG_URL:
        pytest.skip("CP_TEST_PG_URL is not set (run scripts/postgres-test-db.sh)")
    schema = hub_databases.take_schema(PG_URL)
    database = Database.open(hub_databases.schema_url(PG_URL, schema))
    yield database
    database.dispose()
    hub_databases.give_back_schema(PG_URL, schema)


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
