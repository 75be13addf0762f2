"""counterpay's signed payment order and receipt codes: fit, keyboard safety, and every rejection."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
import segno
from hypothesis import given, reject, settings, strategies as st

from protocol.keys import KeyDirectory, SigningKey
from protocol.qr import cp_order, cp_receipt, signed
from protocol.qr.base import QrFormatError

HUB = SigningKey.generate()
AGENT = SigningKey.generate()
OTHER_AGENT = SigningKey.generate()


def directory() -> KeyDirectory:
    keys = KeyDirectory()
    keys.add(HUB.public_entry("hub", ["order"]))
    keys.add(AGENT.public_entry("krakow-3", ["receipt", "event"]))
    keys.add(OTHER_AGENT.public_entry("gdansk-1", ["receipt", "event"]))
    return keys


ORDER = cp_order.PaymentOrderCode("O-2026-000123", "WAW-2026/REG/004512", 12500, "PLN",
                                  ("REG-01", "REG-02", "TAB-03"), "Zażółć Gęślą-Jaźń", "85010112345", "2099-12-31")
RECEIPT = cp_receipt.ReceiptCode("R-20261122-000042", "krakow-3", "2026-11-22T10:15:00Z", 12500, "PLN", "card",
                                 "T0042/000117", "WAW-2026/REG/004512", "1234")


def test_order_round_trips_and_verifies():
    result = cp_order.parse(cp_order.make(ORDER, HUB), directory())
    assert result.valid and result.checks_ok is True
    assert result.fields["payer_name"] == "Zażółć Gęślą-Jaźń"
    assert result.fields["positions"] == ["REG-01", "REG-02", "TAB-03"]
    assert result.fields["expires"] == "2099-12-31"
    assert result.fields["verdict"] == "valid"


def test_receipt_round_trips_and_verifies():
    result = cp_receipt.parse(cp_receipt.make(RECEIPT, AGENT), directory())
    assert result.valid and result.fields["verdict"] == "valid"
    assert result.fields["last4"] == "1234" and result.fields["time"] == "2026-11-22T10:15:00Z"


@pytest.mark.parametrize("payload", [cp_order.make(ORDER, HUB), cp_receipt.make(RECEIPT, AGENT)],
                         ids=["order", "receipt"])
def test_codes_are_digits_only_and_fit_version_10_at_level_m(payload):
    assert payload.isdigit()
    qr = segno.make(payload, error="m", boost_error=False)
    assert qr.mode == "numeric" and qr.version <= 10


def test_oversized_order_is_refused_with_what_to_shorten():
    long = cp_order.PaymentOrderCode("O-1", "C" * 60, 1, "EUR", ("X",) * 10, "N" * 80, "I" * 30, "2099-01-01")
    with pytest.raises(QrFormatError, match="shorten"):
        cp_order.make(long, HUB)


def test_tampered_order_is_rejected_as_bad_signature():
    payload = cp_order.make(ORDER, HUB)
    value = int(payload[3:])
    tampered = payload[:3] + str(value ^ (1 << 600))   # flip one bit inside the content
    result = cp_order.parse(tampered, directory())
    assert not result.valid
    assert result.fields["verdict"] in ("bad signature", "structure wrong")


def test_amount_changed_in_content_is_caught_by_signature():
    decoded = signed.decode("cp-order", cp_order.make(ORDER, HUB), cp_order.FIELD_COUNT)
    fields = list(decoded.fields)
    fields[2] = "1"
    forged_content = signed.SEPARATOR.join(fields).encode()
    forged = "811" + str(int.from_bytes(b"\x01" + forged_content + decoded.signature, "big"))
    result = cp_order.parse(forged, directory())
    assert result.checks_ok is False and result.fields["verdict"] == "bad signature"


def test_expired_order_is_rejected_with_the_date():
    order = cp_order.PaymentOrderCode(**{**ORDER.__dict__, "expires": "2026-01-31"})
    result = cp_order.parse(cp_order.make(order, HUB), directory(), now=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc))
    assert not result.valid and result.fields["verdict"] == "expired"
    assert "2026-01-31" in result.errors[0]
    still_fine = cp_order.parse(cp_order.make(order, HUB), directory(),
                                now=dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.timezone.utc))
    assert still_fine.valid


def test_unknown_key_is_rejected():
    stranger = SigningKey.generate()
    result = cp_order.parse(cp_order.make(ORDER, stranger), directory())
    assert result.fields["verdict"] == "unknown key" and not result.valid


def test_revoked_key_is_rejected():
    keys = directory()
    keys.revoke(AGENT.kid, "2026-11-01T00:00:00Z", "stolen")
    result = cp_receipt.parse(cp_receipt.make(RECEIPT, AGENT), keys)
    assert result.fields["verdict"] == "revoked key" and "stolen" in result.errors[0]


def test_receipt_signed_by_another_agent_is_rejected():
    result = cp_receipt.parse(cp_receipt.make(RECEIPT, OTHER_AGENT), directory())
    assert result.fields["verdict"] == "signed by someone else"


def test_order_signed_with_an_agent_key_is_rejected_as_wrong_type_of_key():
    result = cp_order.parse(cp_order.make(ORDER, AGENT), directory())
    assert result.fields["verdict"] == "wrong type of key"


def test_receipt_is_not_accepted_as_an_order():
    payload = cp_receipt.make(RECEIPT, AGENT)
    assert cp_order.detect(payload) is False
    assert cp_order.parse(payload, directory()).structure_ok is False


def test_keyboard_mistyped_code_gets_a_clear_error():
    payload = cp_receipt.make(RECEIPT, AGENT)
    result = cp_receipt.parse(payload[:40] + "&" + payload[41:], directory())
    assert not result.structure_ok and "keyboard mode" in result.errors[0]


def test_receipt_refuses_more_than_four_card_digits():
    with pytest.raises(QrFormatError, match="last 4"):
        cp_receipt.make(cp_receipt.ReceiptCode(**{**RECEIPT.__dict__, "last4": "411111"}), AGENT)


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x1e\x1f,"), max_size=12)


@settings(max_examples=150, deadline=None)
@given(order_id=text, case_ref=text, amount=st.none() | st.integers(0, 10**11), payer=text, payer_id=text,
       positions=st.lists(st.text(alphabet="ABCDEFGHIJ0123456789-", min_size=1, max_size=6), max_size=4))
def test_order_make_parse_round_trip(order_id, case_ref, amount, payer, payer_id, positions):
    order = cp_order.PaymentOrderCode(order_id, case_ref, amount, "EUR", tuple(positions), payer, payer_id, "2099-01-01")
    try:
        payload = cp_order.make(order, HUB)
    except QrFormatError as refused:        # too much text for one QR: refused, as tested above
        assert "shorten" in str(refused)
        reject()
    result = cp_order.parse(payload, directory())
    assert result.valid
    assert (result.fields["order_id"], result.fields["case_ref"], result.fields["amount_minor"]) == (order_id, case_ref, amount)
    assert result.fields["positions"] == positions and result.fields["payer_name"] == payer


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_parsers_never_raise_on_arbitrary_text(payload):
    for module in (cp_order, cp_receipt):
        assert module.parse(payload, directory()).format == module.FORMAT


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**400))
def test_parsers_never_raise_on_arbitrary_digits(number):
    for prefix in ("811", "821", "8", "812"):
        cp_order.parse(prefix + str(number))
        cp_receipt.parse(prefix + str(number), directory())


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "counterpay", *args], capture_output=True, text=True, timeout=60)


def test_receipt_verify_command_reports_verdicts(tmp_path):
    keys_dir = tmp_path / "keys"
    assert run_cli("keys", "new", str(keys_dir), "--owner", "krakow-3").returncode == 0
    agent_key = SigningKey.from_pem((keys_dir / "signing-key.pem").read_bytes())
    good = cp_receipt.make(RECEIPT, agent_key)
    verified = run_cli("receipt", "verify", good, "--keys", str(keys_dir), "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["verdict"] == "verified"
    forged = run_cli("receipt", "verify", cp_receipt.make(RECEIPT, AGENT), "--keys", str(keys_dir), "--json")
    assert forged.returncode == 1 and json.loads(forged.stdout)["verdict"] == "unknown key"
    wrong = run_cli("receipt", "verify", good, "--keys", str(keys_dir), "--expect", "order", "--json")
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["verdict"] == "wrong type"
    assert run_cli("keys", "revoke", str(keys_dir), agent_key.kid, "--reason", "stolen").returncode == 0
    revoked = run_cli("receipt", "verify", good, "--keys", str(keys_dir))
    assert revoked.returncode == 1 and "REVOKED" in revoked.stdout
    usage = run_cli("receipt", "verify", good, "--keys", str(tmp_path / "missing"))
    assert usage.returncode == 2


def test_qr_make_signed_order_survives_png_and_decode(tmp_path):
    keys_dir = tmp_path / "hub"
    assert run_cli("keys", "new", str(keys_dir)).returncode == 0
    png = tmp_path / "order.png"
    made = run_cli("qr", "make", "cp-order", "--key", str(keys_dir), "--order-id", "O-7", "--case", "GDA/2026/9",
                   "--amount", "125,00", "--currency", "PLN", "--payer-name", "Łukasz Żółć", "--png", str(png))
    assert made.returncode == 0, made.stderr
    decoded = run_cli("qr", "decode", str(png), "--keys", str(keys_dir), "--json")
    assert decoded.returncode == 0, decoded.stderr
    [result] = json.loads(decoded.stdout)
    assert result["format"] == "cp-order" and result["checks_ok"] is True
    assert result["fields"]["payer_name"] == "Łukasz Żółć" and result["fields"]["amount_minor"] == 12500


def test_a_zbp_code_whose_nip_starts_like_our_prefix_is_still_zbp():
    from protocol import qr
    from protocol.qr import zbp
    payload = zbp.make("61109010140000071219812874", "Gdańsk", "Opłata", 1234, nip="8120000001")
    assert payload.startswith("812")
    assert qr.parse(payload).format == "zbp"
