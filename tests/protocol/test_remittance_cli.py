"""`counterpay remittance parse`: plain and JSON output, exit codes (0 usable, 1 not, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from counterpay.cli import cli

FLOW_LINE = "RI1/PUR/LGPE-RIVERSAMENTO/URI/20 21-03-17SIGPITM1XXX-S005147952 /ZZ4/4184"
KEYS = ["kind", "flow_id", "iuv", "amount_minor", "reference", "errors"]


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["remittance", *args], input=stdin)


def test_a_flow_line_prints_found_and_the_flow_id_and_exits_0():
    result = run("parse", FLOW_LINE)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "FOUND pagoPA reporting flow transfer"
    assert lines[1].split() == ["flow", "id", "2021-03-17SIGPITM1XXX-S005147952"]


def test_json_is_one_object_with_the_documented_keys():
    result = run("parse", "/RFB/9876096598656344/12,34/TXT/Richiesta certificato", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert list(data) == KEYS
    assert data == {"kind": "pagopa-single", "flow_id": None, "iuv": "9876096598656344", "amount_minor": 1234,
                    "reference": None, "errors": []}


def test_a_truncated_flow_id_is_not_usable_says_why_and_exits_1():
    plain = run("parse", "/PUR/LGPE-RIVERSAMENTO/URI/2")
    assert plain.exit_code == 1
    assert plain.output.startswith("NOT USABLE: pagoPA reporting flow transfer\n  ! the pagoPA flow id '2' is truncated")
    data = json.loads(run("parse", "/PUR/LGPE-RIVERSAMENTO/URI/2", "--json").output)
    assert (data["kind"], data["flow_id"]) == ("pagopa-flow", None) and "truncated" in data["errors"][0]


def test_an_rf_with_wrong_check_digits_and_a_line_of_nothing_ours_exit_1():
    bad = run("parse", "RF19 5390 0754 7034", "--json")
    assert bad.exit_code == 1
    assert json.loads(bad.output)["kind"] == "rf" and "check digits" in json.loads(bad.output)["errors"][0]
    none = run("parse", "STIPENDIO MARZO")
    assert none.exit_code == 1 and none.output.startswith("NOTHING OF OURS")


def test_a_usable_single_payment_shows_its_amount_in_euro():
    result = run("parse", "/RFS/RF78 5674 8393 7849 4505 5087 5/45.56")
    assert result.exit_code == 0
    assert "45.56 EUR" in result.output and "RF78567483937849450550875" in result.output


def test_the_text_can_come_from_standard_input():
    result = run("parse", "-", "--json", stdin="rf18539007547034\n")
    assert result.exit_code == 0 and json.loads(result.output)["reference"] == "RF18539007547034"


def test_usage_errors_exit_2():
    assert run("parse").exit_code == 2
    assert run("parse", "x", "--no-such-flag").exit_code == 2
    assert run("nothing").exit_code == 2


def test_the_installed_command_lists_remittance_in_help_and_runs():
    top = subprocess.run([sys.executable, "-m", "counterpay", "--help"], capture_output=True, text=True, timeout=60)
    assert top.returncode == 0 and "remittance" in top.stdout
    done = subprocess.run([sys.executable, "-m", "counterpay", "remittance", "parse", FLOW_LINE, "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert json.loads(done.stdout)["flow_id"] == "2021-03-17SIGPITM1XXX-S005147952"
