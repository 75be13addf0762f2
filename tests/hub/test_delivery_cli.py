"""`counterpay hub deliveries`: list, show and replay from the hub's machine."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hub.delivery.cli import deliveries
from hub.store.db import Database
from tests.support.delivery import enqueue


def test_list_show_and_replay_an_unrouted_confirmation(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    (tmp_path / "hub.toml").write_text(f'[database]\nurl = "{url}"\n')
    event_id, _ = enqueue(Database.open(url), "NOBODY-1")
    runner = CliRunner()
    config = ["--config", str(tmp_path / "hub.toml")]
    listed = runner.invoke(deliveries, config + ["list", "--status", "unrouted"])
    assert listed.exit_code == 0 and event_id in listed.output and "no case system" in listed.output
    shown = runner.invoke(deliveries, config + ["show", event_id])
    assert shown.exit_code == 0 and json.loads(shown.output)["payload"]["data"]["event_id"] == event_id
    assert runner.invoke(deliveries, config + ["show", "nope"]).exit_code == 1
    replayed = runner.invoke(deliveries, config + ["replay", event_id])
    assert replayed.exit_code == 1 and "still without a case system 1" in replayed.output
    assert runner.invoke(deliveries, config + ["replay", "--since", "yesterday"]).exit_code == 2
    assert runner.invoke(deliveries, config + ["replay"]).exit_code == 2

