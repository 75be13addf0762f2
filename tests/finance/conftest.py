"""Finance tests use the hub's database fixture: every test runs on SQLite and on PostgreSQL."""

from tests.hub.conftest import hub_db  # noqa: F401  (fixture)
