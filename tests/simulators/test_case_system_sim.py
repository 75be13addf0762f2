"""The case-system simulator as a technician uses it: a real process, real HTTP."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from click.testing import CliRunner

from protocol import webhooks
from simulators.case_system.cli import case_system
from tests.support.case_system import CaseSystemSim

CASES = """
[[case]]
ref = "VR-2026-1"
amount_owed_minor = 4500
currency = "EUR"
payer = { name = "Anna Bērziņa" }
[[case.positions]]
code = "REG-1"
name = "Vehicle registration"
unit_minor = 4500
"""


def _confirmation(case_ref="VR-2026-1", amount=4500, event_id="ev-1") -> bytes:
    return json.dumps({"type": "payment.confirmed", "timestamp": "2026-11-22T12:00:00Z",
                       "data": {"event_id": event_id, "payment": {"amount_minor": amount, "currency": "EUR",
                                                                  "case_ref": case_ref},
                                "link": {"case_ref": case_ref}}}).encode()


def _post(sim, body, msg_id="msg_1", secrets=None, ts=None):
    headers = webhooks.signed_headers(secrets or sim.secrets, msg_id, ts or int(time.time()), body)
    return httpx.post(sim.webhook_url, content=body, headers={**headers, "content-type": "application/json"},
                      timeout=10)


def _lookup(sim, ref):
    headers = webhooks.signed_headers(sim.secrets, "lookup_1", int(time.time()), b"")
    return httpx.get(sim.base_url + f"/cases/{ref}", headers=headers, timeout=10)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("casesim")
    (workdir / "cases.toml").write_text(CASES)
    process = CaseSystemSim(workdir, cases_path=workdir / "cases.toml").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _back_to_ok(sim):
    yield
    sim.set_mode(mode="ok")


def test_a_signed_confirmation_is_accepted_and_recorded(sim):
    before = len(sim.received())
    assert _post(sim, _confirmation(event_id="ev-a"), msg_id="msg_a").status_code == 204
    record = sim.received()[before]
    assert record["webhook_id"] == "msg_a" and record["verified"] and not record["duplicate"]
    assert record["event_id"] == "ev-a" and record["case_ref"] == "VR-2026-1"
    lines = [json.loads(line) for line in sim.record_path.read_text().splitlines()]
    assert lines[-1]["webhook_id"] == "msg_a"


def test_a_bad_signature_gets_401_with_the_reason_and_is_recorded(sim):
    response = _post(sim, _confirmation(), msg_id="msg_forged", secrets=[webhooks.new_secret()])
    assert response.status_code == 401
    assert response.json()["reason"].startswith("signature_mismatch")
    record = sim.received()[-1]
    assert record["webhook_id"] == "msg_forged" and not record["verified"]
    assert "signature_mismatch" in sim.log_path.read_text()


def test_a_stale_timestamp_is_refused(sim):
    response = _post(sim, _confirmation(), msg_id="msg_old", ts=int(time.time()) - 3600)
    assert response.status_code == 401 and response.json()["reason"].startswith("stale_timestamp")


def test_a_redelivery_is_accepted_again_and_flagged_duplicate(sim):
    for _ in range(2):
        assert _post(sim, _confirmation(event_id="ev-dup"), msg_id="msg_dup").status_code == 204
    records = [r for r in sim.received() if r["webhook_id"] == "msg_dup"]
    assert [r["duplicate"] for r in records] == [False, True]
    assert [r["attempt"] for r in records] == [1, 2]


def test_fail_mode_for_a_count_then_back_to_ok_with_retry_after(sim):
    sim.set_mode(mode="fail", status=503, count=2, retry_after=7)
    first, second, third = (_post(sim, _confirmation(), msg_id="msg_fail") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 204)
    assert first.headers["retry-after"] == "7"


def test_gone_mode_answers_410(sim):
    sim.set_mode(mode="gone")
    assert _post(sim, _confirmation(), msg_id="msg_gone").status_code == 410


def test_down_for_a_period_then_up_again(sim):
    sim.set_mode(mode="down", for_s=0.5)
    assert _post(sim, _confirmation(), msg_id="msg_down").status_code == 503
    assert _lookup(sim, "VR-2026-1").status_code == 503
    time.sleep(0.6)
    assert _post(sim, _confirmation(), msg_id="msg_down").status_code == 204


def test_slow_mode_delays_the_answer(sim):
    sim.set_mode(mode="slow", delay_s=0.4)
    started = time.monotonic()
    assert _post(sim, _confirmation(), msg_id="msg_slow").status_code == 204
    assert time.monotonic() - started >= 0.4


def test_lookup_answers_from_the_cases_file_and_unknown_cases_get_404(sim):
    known = _lookup(sim, "VR-2026-1")
    assert known.status_code == 200
    assert known.json()["payer"]["name"] == "Anna Bērziņa"
    assert known.json()["positions"][0]["unit_minor"] == 4500
    unknown = _lookup(sim, "VR-0000")
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown case"


def test_unsigned_lookup_is_refused(sim):
    assert httpx.get(sim.base_url + "/cases/VR-2026-1", timeout=10).status_code == 401


def test_invalid_admin_mode_is_a_422_naming_the_field(sim):
    response = httpx.post(sim.base_url + "/admin/mode", json={"mode": "explode"}, timeout=5)
    assert response.status_code == 422 and "mode" in response.text


def test_duplicates_stay_visible_across_a_restart(tmp_path):
    sim = CaseSystemSim(tmp_path).start()
    try:
        assert _post(sim, _confirmation(), msg_id="msg_r").status_code == 204
        sim.stop()
        with pytest.raises(httpx.ConnectError):
            _post(sim, _confirmation(), msg_id="msg_r")
        sim.start()
        assert _post(sim, _confirmation(), msg_id="msg_r").status_code == 204
        assert [r["duplicate"] for r in sim.received() if r["webhook_id"] == "msg_r"] == [False, True]
    finally:
        sim.stop()


@pytest.mark.parametrize("content, suffix, expected", [
    ("[[case]]\nref = 'X'\namount_owed_minor = 12.5\n", ".toml", "amount_owed_minor"),
    ("[[case]]\nref = 'X'\n", ".toml", "amount_owed_minor"),
    ("{not json", ".json", "not valid JSON"),
    ("[[case]]\nref='X'\namount_owed_minor=1\n[[case]]\nref='X'\namount_owed_minor=2\n", ".toml", "twice"),
])
def test_a_bad_cases_file_is_refused_with_the_reason(tmp_path, content, suffix, expected):
    path = tmp_path / f"cases{suffix}"
    path.write_text(content)
    result = CliRunner().invoke(case_system, ["--port", "0", "--cases", str(path)])
    assert result.exit_code == 2
    assert expected in result.output


def test_a_malformed_secret_is_refused():
    result = CliRunner().invoke(case_system, ["--port", "0", "--secret", "nope"])
    assert result.exit_code == 2 and "whsec_" in result.output


def test_a_slow_webhook_still_answering_does_not_use_up_the_next_modes_failures(sim):
    import threading
    sim.set_mode(mode="slow", delay_s=1.0)
    slow = []
    sleeper = threading.Thread(target=lambda: slow.append(_post(sim, _confirmation(), msg_id="msg_slow_2")))
    sleeper.start()
    time.sleep(0.3)                                   # the slow one is in the simulator, sleeping
    sim.set_mode(mode="fail", status=502, count=1)
    sleeper.join(10)
    assert slow[0].status_code == 204
    assert _post(sim, _confirmation(), msg_id="msg_after").status_code == 502
    assert _post(sim, _confirmation(), msg_id="msg_after").status_code == 204
