"""`counterpay hub contract|activation`: the workflow from the hub's machine with its exit codes
(0 done, 1 refused: what is missing or the wrong state, 2 a bad value), audited as `cli:<os user>`,
and honest about desks it could not tell (no broker here)."""

from __future__ import annotations

import getpass
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import hub as hub_cli
from hub.store.db import Database
from hub.store.tables import audit_log
from tests.hub.activation_support import publish_catalogue
from tests.hub.config_support import write_config


@pytest.fixture
def config(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    path = str(write_config(tmp_path / "hub.toml", {"database": {"url": url},
                                                    "mqtt": {"host": "127.0.0.1", "port": 9, "tls": False}}))
    database = Database.open(url)
    with database.begin() as conn:
        publish_catalogue(conn)
    database.dispose()
    return path, url


def _run(*args: str):
    return CliRunner().invoke(hub_cli, list(args))


def test_the_commands_run_the_workflow_with_their_exit_codes(config):
    path, url = config
    office = ["--config", path, "--office", "RIGA-1"]
    step = [*office, "--service", "VEH"]
    refused = _run("activation", "submit", *step)
    assert refused.exit_code == 1 and "no card-payment contract registered" in refused.output
    listed = json.loads(_run("activation", "list", *office, "--json").output)
    assert [(r["service"], r["state"], [m["reason"] for m in r["missing"]]) for r in listed] == [
        ("CASH-ONLY", "draft", ["contract_missing", "no_card_price"]), ("VEH", "draft", ["contract_missing"])]

    bad_day = _run("contract", "add", *office, "--acquirer", "Swedbank", "--number", "K-1", "--from", "01.01.2026")
    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.output
    added = _run("contract", "add", *office, "--acquirer", "Swedbank", "--number", "K-1", "--from", "2026-01-01")
    assert added.exit_code == 0 and "registered contract K-1 of Swedbank" in added.output
    assert "NOT told yet" in added.output                               # no broker on port 9
    assert _run("contract", "add", *office, "--acquirer", "Swedbank", "--number", "K-1",
                "--from", "2026-01-01").exit_code == 1
    assert "Swedbank" in _run("contract", "list", "--config", path).output

    assert _run("activation", "submit", *step).exit_code == 0
    assert _run("activation", "comment", *step).exit_code == 2          # a comment needs --text
    assert _run("activation", "suspend", *step, "--text", "x").exit_code == 1    # not active
    assert "commented" in _run("activation", "comment", *step, "--text", "sign page 2").output
    assert _run("activation", "submit", *step, "--text", "signed").exit_code == 0
    approved = _run("activation", "approve", *step)
    assert approved.exit_code == 0 and "service step VEH of office RIGA-1: active" in approved.output
    history = _run("activation", "list", *step).output
    assert "sign page 2" in history and "submitted → active" in history
    assert _run("activation", "approve", "--config", path, "--office", "RIGA-1", "--service", "no such").exit_code == 2

    database = Database.open(url)
    with database.connect() as conn:
        actors = {row[0] for row in conn.execute(select(audit_log.c.actor).where(
            audit_log.c.action.like("card_%")))}
    database.dispose()
    assert actors == {f"cli:{getpass.getuser()}"}
