"""`counterpay qr parse / make / decode`: output, JSON shape and exit codes (0 valid, 1 not, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from counterpay.cli import cli
from protocol.qr.image import make_png

VALID = "PAGOPA|002|001340000013900808|00311260095|5000"
BAD_CHECK = "PAGOPA|002|399000012345678900|83000390019|222250"
EPC = ("BCD\n001\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1\nCHAR\n\n"
       "Urgency fund\nSample EPC QR code")


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["qr", *args], input=stdin)


def test_parse_valid_prints_the_verdict_first_and_exits_0():
    result = run("parse", VALID)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "VALID pagoPA notice"
    assert any("50.00 EUR" in line for line in lines)


def test_parse_bad_check_digits_says_which_and_why_and_exits_1():
    result = run("parse", BAD_CHECK)
    assert result.exit_code == 1
    assert result.output.startswith("CHECK DIGITS WRONG: pagoPA notice")
    assert "mod-93" in result.output


def test_parse_structure_wrong_and_unknown_exit_1():
    broken = run("parse", "PAGOPA|002|123")
    assert broken.exit_code == 1 and broken.output.startswith("STRUCTURE WRONG")
    assert run("parse", "hello").output.startswith("NOT A PAYMENT CODE")


def test_parse_json_has_the_documented_shape():
    result = run("parse", EPC, "--json")
    data = json.loads(result.output)
    assert result.exit_code == 0
    assert data["format"] == "epc" and data["valid"] is True and data["checks_ok"] is True
    assert data["fields"]["amount_minor"] == 100 and data["fields"]["currency"] == "EUR"
    bad = json.loads(run("parse", BAD_CHECK, "--json").output)
    assert (bad["valid"], bad["structure_ok"], bad["checks_ok"]) == (False, True, False)


def test_parse_reads_multiline_payloads_from_stdin():
    result = run("parse", "-", "--json", stdin=EPC + "\n")
    assert result.exit_code == 0 and json.loads(result.output)["fields"]["text"] == "Urgency fund"


def test_usage_errors_exit_2():
    assert run("parse").exit_code == 2
    assert run("make", "pagopa", "--notice", "1").exit_code == 2
    bad_amount = run("make", "pagopa", "--notice", "001340000013900808", "--fiscal-code", "00311260095",
                     "--amount", "1.234")
    assert bad_amount.exit_code == 2 and "ambiguous" in bad_amount.output
    wrong_check = run("make", "pagopa", "--notice", "399000012345678900", "--fiscal-code", "83000390019",
                      "--amount", "1")
    assert wrong_check.exit_code == 2 and "mod-93" in wrong_check.output


def test_make_each_format_prints_a_payload_that_parses(tmp_path):
    cases = [
        ["pagopa", "--notice", "001340000013900808", "--fiscal-code", "00311260095", "--amount", "50,00"],
        ["epc", "--name", "Città Perù", "--iban", "IT60X0542811101000000123456", "--amount", "12.50",
         "--text", "Tassa 2024", "--charset", "2"],
        ["zbp", "--account", "61109010140000071219812874", "--name", "Gdańsk", "--title", "Opłata",
         "--amount", "123,45", "--nip", "5261040828"],
        ["rf", "539007547034"],
    ]
    for args in cases:
        made = run("make", *args)
        assert made.exit_code == 0, made.output
        payload = made.output.rstrip("\n")
        assert run("parse", payload).exit_code == 0, payload


def test_make_png_then_decode_json_lists_the_code(tmp_path):
    png = tmp_path / "zbp.png"
    made = run("make", "zbp", "--account", "61109010140000071219812874", "--name", "Łódź", "--title",
               "Opłata 1", "--amount", "10", "--png", str(png))
    assert made.exit_code == 0 and png.exists()
    decoded = run("decode", str(png), "--json")
    assert decoded.exit_code == 0
    data = json.loads(decoded.output)
    assert isinstance(data, list) and len(data) == 1
    assert data[0]["format"] == "zbp" and data[0]["fields"]["name"] == "Łódź"
    assert run("decode", str(png)).output.startswith("VALID Polish ZBP transfer")


def test_make_svg_and_not_both(tmp_path):
    svg = tmp_path / "rf.svg"
    assert run("make", "rf", "ABC", "--svg", str(svg)).exit_code == 0 and b"<svg" in svg.read_bytes()
    assert run("make", "rf", "ABC", "--svg", str(svg), "--png", str(tmp_path / "x.png")).exit_code == 2


def test_decode_no_code_exits_1_bad_image_exits_2(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    empty = run("decode", str(blank), "--json")
    assert empty.exit_code == 1 and json.loads(empty.output) == []
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert run("decode", str(junk)).exit_code == 2


def test_decode_invalid_code_exits_1(tmp_path):
    png = tmp_path / "bad.png"
    png.write_bytes(make_png(BAD_CHECK))
    result = run("decode", str(png), "--json")
    assert result.exit_code == 1 and json.loads(result.output)[0]["checks_ok"] is False


def test_parse_names_the_tax_office_code_when_that_is_what_is_wrong():
    result = run("parse", "PAGOPA|002|001340000013900808|03503446639|5000")
    assert result.exit_code == 1
    assert "office code 663" in result.output and "wrong check digit" not in result.output


def test_the_installed_command_runs_as_a_process():
    done = subprocess.run([sys.executable, "-m", "counterpay", "qr", "parse", "--json", VALID],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["fields"]["iuv"] == "340000013900808"


def test_signed_order_needs_keys_before_the_cashier_sees_valid(tmp_path):
    from protocol.keys import SigningKey
    from protocol.qr import cp_order

    keys_dir = tmp_path / "keys"
    assert CliRunner().invoke(cli, ["keys", "new", str(keys_dir)]).exit_code == 0
    key = SigningKey.from_pem((keys_dir / "signing-key.pem").read_bytes())
    payload = cp_order.make(cp_order.PaymentOrderCode("O-1", "CASE-7", 5000, "EUR", ("A1", "B2"), "Rossi",
                                                      "RSSMRA80A01H501U", "2099-12-31"), key)
    unchecked = run("parse", payload)
    assert unchecked.output.startswith("SIGNATURE NOT CHECKED")
    assert unchecked.exit_code == 1
    checked = run("parse", payload, "--keys", str(keys_dir))
    assert checked.exit_code == 0 and checked.output.startswith("VALID counterpay payment order")
    assert "A1, B2" in checked.output
    data = json.loads(run("parse", payload, "--keys", str(keys_dir), "--json").output)
    assert data["format"] == "cp-order" and data["fields"]["amount_minor"] == 5000


@pytest.mark.parametrize("first_import", ["counterpay.commands.qr_signed", "counterpay.commands.qr",
                                          "counterpay.commands.qr_emit"])
def test_qr_make_lists_the_signed_makers_whichever_module_is_imported_first(first_import):
    script = (f"import {first_import}\n"
              "from click.testing import CliRunner\n"
              "from counterpay.cli import cli\n"
              "print(CliRunner().invoke(cli, ['qr', 'make', '--help']).output)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "cp-order" in done.stdout and "cp-receipt" in done.stdout
