"""Scenario files and the simulator's ledger: readable errors, truthful totals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulators.terminal.ledger import Ledger, read_ledger
from simulators.terminal.scenario import (ScenarioError, bundled_scenarios, load_scenario,
                                          scenario_from_dict)
from tests.terminal.zvt_support import REPO


def test_every_bundled_scenario_loads_and_the_last_step_repeats():
    for name, path in bundled_scenarios().items():
        scenario = load_scenario(path)
        steps = [scenario.next_step() for _ in range(len(scenario.steps) + 2)]
        assert steps[-1] == steps[-2] == scenario.steps[-1], name


@pytest.mark.parametrize("data, words", [
    ({"steps": [{"action": "explode"}]}, "steps[0]: action 'explode'"),
    ({"steps": [{"action": "approve", "sconds": 3}]}, "unknown key(s) sconds"),
    ({"terminal": {"masked_pan": "4761739001010010"}}, "too many digits"),
    ({"terminal": {"terminal_id": "123"}}, "terminal_id must be 8 digits"),
    ({"steps": []}, "non-empty list"),
    ({"steps": [{"action": "bad_checksum", "times": 0}]}, "times must be"),
])
def test_bad_scenarios_say_what_is_wrong(data, words):
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    assert words in str(caught.value)


def test_the_simulator_refuses_a_broken_scenario_file_with_usage_exit(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[steps]]\naction = 'approve'\nwhat = 1\n")
    done = subprocess.run([sys.executable, "-m", "counterpay", "sim", "terminal", "--protocol",
                           "zvt", "--pty", "--scenario", str(bad)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown key(s) what" in done.stderr


def test_ledger_totals_net_reversals_and_refunds_and_survive_a_restart(tmp_path):
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path)
    common = {"protocol": "zvt", "currency": "EUR", "step": "approve"}
    ledger.record_request(kind="payment", amount_minor=1000, charged=True, receipt_no=1, **common)
    ledger.record_request(kind="payment", amount_minor=500, charged=False, **common)
    ledger.record_request(kind="payment", amount_minor=300, charged=True, receipt_no=2, **common)
    ledger.record_request(kind="reversal", amount_minor=1000, charged=True, receipt_no=3,
                          reverses=1, **common)
    ledger.record_request(kind="refund", amount_minor=100, charged=True, receipt_no=4, **common)
    again = Ledger(path)                               # a restarted simulator reads it back
    assert again.is_reversed(1) and again.last_receipt_no() == 4
    totals = again.close_batch()
    assert (totals.count, totals.total_minor) == (1, 200)
    assert again.batch_totals().total_minor == 0       # a new batch after end of day
    assert [r["record"] for r in read_ledger(path)][-1] == "end_of_day"
