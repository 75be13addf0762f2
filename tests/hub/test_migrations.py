"""Migrations: one step at a time they build the same database as all at once, and that
database is the one hub/store/tables*.py describe, on SQLite and on PostgreSQL.

The comparison with tables*.py is what catches a table edited without a migration;
the upgrade step by step is what a site does that installs every release.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, create_engine, inspect, select, text

import hub.store
from hub.store import migrations
from hub.store.db import Database
from hub.store.metadata import metadata as live_metadata
from tests.hub.conftest import PG_URL
from tests.support.hub_databases import schema_url

MIGRATIONS_DIR = Path(migrations.__file__).parent

# Every table module declares its tables on the shared metadata when imported.
for _module in pkgutil.iter_modules(hub.store.__path__):
    if _module.name.startswith("tables"):
        importlib.import_module(f"hub.store.{_module.name}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_database(request, tmp_path):
    """A factory of empty databases (SQLite files, or PostgreSQL schemas) by URL."""
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("CP_TEST_PG_URL is not set (run scripts/postgres-test-db.sh)")
    schemas = []

    def make(name: str) -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / name}.db"
        schema = f"t_{name}_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        schemas.append(schema)
        return schema_url(PG_URL, schema)

    admin = create_engine(PG_URL) if request.param == "postgresql" else None
    yield make
    if admin is not None:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def upgraded_step_by_step(url: str, *, through: int | None = None) -> list[str]:
    """Apply the migrations one per opening of the database, as release after release."""
    applied = []
    for version, name in migrations.available():
        if version in recorded_versions(url):
            continue
        if through is not None and version > through:
            break
        database = Database.open(url, migrate=False)
        with database.begin() as conn:
            step = migrations.apply(conn, through=version)
        database.dispose()
        assert step == [name], f"upgrading to {version} applied {step}"
        applied += step
    return applied


def recorded_versions(url: str) -> set[int]:
    database = Database.open(url, migrate=False)
    with database.connect() as conn:
        recorded = (set(conn.execute(select(migrations.schema_version.c.version)).scalars())
                    if inspect(conn).has_table(migrations.schema_version.name) else set())
    database.dispose()
    return recorded


def created_from_live_tables(url: str, tables: MetaData = live_metadata) -> None:
    database = Database.open(url, migrate=False)
    with database.begin() as conn:
        tables.create_all(conn)
    database.dispose()


def schema_of(url: str) -> dict[str, dict]:
    """What the inspector sees of every hub table, in a form to compare."""
    database = Database.open(url, migrate=False)
    schema = {}
    with database.connect() as conn:
        inspector = inspect(conn)
        for table in inspector.get_table_names():
            if table == migrations.schema_version.name:
                continue
            unique = {(u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)}
            pk = inspector.get_pk_constraint(table)
            schema[table] = {
                "columns": {c["name"]: (str(c["type"]), c["nullable"], c["default"])
                            for c in inspector.get_columns(table)},
                "primary key": (pk["name"], tuple(pk["constrained_columns"])),
                "unique": unique,
                # PostgreSQL lists the index behind each unique constraint as well.
                "indexes": {(i["name"], tuple(i["column_names"]), bool(i["unique"]))
                            for i in inspector.get_indexes(table) if "duplicates_constraint" not in i},
            }
    database.dispose()
    return schema


def differences(expected: dict[str, dict], expected_from: str, actual: dict[str, dict], actual_from: str) -> list[str]:
    """Each difference as a sentence: which table, what, and what each side has."""
    found = []
    for table in sorted(expected.keys() | actual.keys()):
        if table not in actual:
            found.append(f"table {table}: in {expected_from}, missing from {actual_from}")
            continue
        if table not in expected:
            found.append(f"table {table}: in {actual_from}, missing from {expected_from}")
            continue
        want, got = expected[table], actual[table]
        for column in sorted(want["columns"].keys() | got["columns"].keys()):
            w, g = want["columns"].get(column), got["columns"].get(column)
            if w != g:
                found.append(f"column {table}.{column} (type, nullable, default): "
                             f"{expected_from} {w}, {actual_from} {g}")
        for part in ("primary key", "unique", "indexes"):
            if want[part] != got[part]:
                found.append(f"{part} of {table}: {expected_from} {want[part]}, {actual_from} {got[part]}")
    return found


def test_a_database_upgraded_step_by_step_equals_one_migrated_at_once(blank_database):
    stepwise, at_once = blank_database("stepwise"), blank_database("at_once")
    assert upgraded_step_by_step(stepwise) == [name for _, name in migrations.available()]
    Database.open(at_once).dispose()
    assert differences(schema_of(at_once), "migrated at once", schema_of(stepwise), "upgraded step by step") == []


def test_the_migrated_database_is_what_the_live_tables_describe(blank_database):
    stepwise, live = blank_database("stepwise"), blank_database("live")
    upgraded_step_by_step(stepwise)
    created_from_live_tables(live)
    found = differences(schema_of(live), "hub/store/tables*.py", schema_of(stepwise), "the migrations")
    assert found == [], ("the live tables and the migrations differ; a change of a table needs a new "
                         "migration in hub/store/migrations/:\n" + "\n".join(found))


def test_a_database_of_the_first_release_is_brought_up_to_the_live_tables(blank_database):
    # The first release's 0001-0003 made agents and orders without the two columns that
    # 0004 and 0005 add (0001 as frozen has them, so 0004 and 0005 do nothing on it).
    first_release, live = blank_database("first_release"), blank_database("live")
    upgraded_step_by_step(first_release, through=3)
    database = Database.open(first_release, migrate=False)
    with database.begin() as conn:
        conn.execute(text("ALTER TABLE agents DROP COLUMN gap_since"))
        conn.execute(text("ALTER TABLE orders DROP COLUMN positions"))
    database.dispose()
    assert upgraded_step_by_step(first_release) == [name for version, name in migrations.available() if version > 3]
    created_from_live_tables(live)
    assert differences(schema_of(live), "hub/store/tables*.py", schema_of(first_release), "the migrations") == []


def test_the_comparison_sees_a_column_added_to_a_live_table_without_a_migration(blank_database):
    stepwise, edited = blank_database("stepwise"), blank_database("edited")
    upgraded_step_by_step(stepwise)
    tables = MetaData(naming_convention=live_metadata.naming_convention)
    for table in live_metadata.sorted_tables:
        table.to_metadata(tables)
    tables.tables["orders"].append_column(Column("remarks", String(64)))
    created_from_live_tables(edited, tables)
    found = differences(schema_of(edited), "hub/store/tables*.py", schema_of(stepwise), "the migrations")
    assert found == [("column orders.remarks (type, nullable, default): "
                      "hub/store/tables*.py ('VARCHAR(64)', True, None), the migrations None")]


def test_migrations_import_only_sqlalchemy_and_the_standard_library():
    # A migration that imports tables*.py (or anything else of ours) changes when that does.
    offenders = []
    for _, name in migrations.available():
        tree = ast.parse((MIGRATIONS_DIR / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""] if node.level == 0 else ["." * node.level + (node.module or "")]
            else:
                continue
            offenders += [f"{name}: {module}" for module in modules
                          if module.split(".")[0] not in sys.stdlib_module_names | {"sqlalchemy"}]
    assert offenders == []
