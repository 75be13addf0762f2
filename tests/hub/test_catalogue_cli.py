"""`counterpay hub catalogue`: drafts from a file (shared or an office's), publishing in its scope,
listing and showing, on SQLite and PostgreSQL; a bad file names its field and saves nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hub.audit.log import entries
from hub.cli import hub

OFFICE_CATALOGUE = {"currency": "EUR", "price_lists": [], "handling_fees": [
    {"price_list": "VEH", "fixed_minor": 5, "percent_bp": 99, "max_minor": 5000, "collect": "apart"}]}


@pytest.fixture
def config(hub_db, tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text(f'[database]\nurl = "{hub_db.url}"\n', encoding="utf-8")
    return ["--config", str(path)]


def _invoke(*args):
    return CliRunner().invoke(hub, ["catalogue", *args], catch_exceptions=False)


def test_an_office_draft_is_added_published_in_its_scope_listed_and_shown(hub_db, config, tmp_path):
    path = tmp_path / "roma.json"
    path.write_text(json.dumps(OFFICE_CATALOGUE), encoding="utf-8")
    added = _invoke("add", *config, "--file", str(path), "--office", "ROMA-1")
    assert added.exit_code == 0 and "draft version 1 saved for ROMA-1" in added.output
    assert _invoke("show", *config, "--office", "ROMA-1").exit_code == 1          # nothing published yet
    published = _invoke("publish", *config, "--version", "1")
    assert published.exit_code == 0 and "version 1 published for ROMA-1" in published.output
    assert "NOT sent to the desks now" in published.output                        # no broker in this test
    shown = json.loads(_invoke("show", *config, "--office", "ROMA-1").output)
    assert shown["office"] == "ROMA-1" and shown["handling_fees"][0]["collect"] == "apart"
    assert _invoke("show", *config).exit_code == 1                                # the shared scope is untouched
    listed = json.loads(_invoke("list", *config, "--json").output)
    assert [(v["version"], v["status"], v["office"]) for v in listed] == [(1, "published", "ROMA-1")]
    assert _invoke("list", *config, "--shared", "--json").output.strip() == "[]"
    with hub_db.connect() as conn:
        actions = [(e["action"], e["actor"][:4]) for e in entries(conn) if e["action"].startswith("catalogue.")]
    assert sorted(actions) == [("catalogue.draft", "cli:"), ("catalogue.publish", "cli:")]


def test_a_bad_file_names_the_field_and_saves_nothing(config, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"handling_fees": [{"price_list": "VEH", "percent_bp": 20000}]}), encoding="utf-8")
    refused = _invoke("add", *config, "--file", str(path))
    assert refused.exit_code == 2 and "handling_fees.0.percent_bp" in refused.output
    path.write_text("{not json", encoding="utf-8")
    assert "is not UTF-8 JSON" in _invoke("add", *config, "--file", str(path)).output
    assert _invoke("list", *config, "--json").output.strip() == "[]"
    assert _invoke("publish", *config, "--version", "9").exit_code == 1
