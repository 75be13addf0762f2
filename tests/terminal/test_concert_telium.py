"""An implementation nobody here wrote: pyTeliumManager against our simulated Concert terminal.

pyTeliumManager (PyPI, MIT) is an independent cash-register-side implementation of
Concert E/E+.  It runs in its own virtualenv as a subprocess (the product never imports
it) against `counterpay sim terminal --protocol concert --pty`: an approved payment, a
declined one, and a lost answer, which it must report as a timeout (verify() → None).
It also encodes its own request frame and decodes our answer frames, so both codecs are
checked against an outside reading of the protocol.

The virtualenv is made once and reused (CP_TELIUM_VENV, default in the temp dir); on a
clean machine, CI included, the first run creates it with `python -m venv` + pip.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from protocol.terminal.concert import PaymentAnswer, PaymentRequest, frame
from tests.terminal.concert_support import start_sim

TELIUM_REQUIREMENT = "pyTeliumManager==2.4.2"
VENV = Path(os.environ.get("CP_TELIUM_VENV") or Path(tempfile.gettempdir())
            / f"counterpay-telium-venv-py{sys.version_info.major}{sys.version_info.minor}")

CLIENT = textwrap.dedent('''
    import json, sys, time
    from telium import Telium, TeliumAsk, TeliumResponse

    command = sys.argv[1]
    if command == "codec":
        ask = TeliumAsk.new_payment(12.5, payment_mode="debit", target_currency="EUR",
                                    checkout_unique_id="1", wait_for_transaction_to_end=True,
                                    collect_payment_source_info=True)
        decoded = []
        for hex_frame in sys.argv[2:]:
            answer = TeliumResponse.decode(bytes.fromhex(hex_frame))
            decoded.append({"result": answer.transaction_result, "amount": answer.amount,
                            "card": answer.card_id.strip(), "private": answer.private,
                            "currency": answer.currency_numeric})
        print(json.dumps({"ask": ask.encode().encode("ascii").hex(), "decoded": decoded}))
    else:
        device, amount, wait = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
        terminal = Telium(device, timeout=3)
        ask = TeliumAsk.new_payment(amount, payment_mode="debit", target_currency="EUR",
                                    checkout_unique_id="1", wait_for_transaction_to_end=True,
                                    collect_payment_source_info=True)
        out = {"accepted": terminal.ask(ask)}
        started = time.monotonic()
        answer = terminal.verify(ask, waiting_timeout=wait)
        out["waited_s"] = time.monotonic() - started
        out["answer"] = None if answer is None else {
            "succeeded": answer.has_succeeded, "result": answer.transaction_result,
            "amount": answer.amount, "card": answer.card_id.strip(), "currency": answer.currency_numeric}
        terminal.close()
        print(json.dumps(out))
''')


@pytest.fixture(scope="session")
def telium_python() -> Path:
    """The virtualenv's python with pyTeliumManager installed; made once, then reused."""
    python = VENV / "bin" / "python"
    ready = VENV / ".counterpay-ready"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{VENV}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once must not build it twice
        if ready.exists() and python.exists():
            return python
        shutil.rmtree(VENV, ignore_errors=True)
        made = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot create a virtualenv for pyTeliumManager: {made.stderr.strip()[-500:]}")
        pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              TELIUM_REQUIREMENT], capture_output=True, text=True, timeout=600)
        if pip.returncode != 0:
            shutil.rmtree(VENV, ignore_errors=True)
            pytest.skip(f"pip could not install {TELIUM_REQUIREMENT} (is PyPI reachable?): "
                        f"{pip.stderr.strip()[-800:]}")
        ready.write_text(TELIUM_REQUIREMENT)
    return python


@pytest.fixture
def client(telium_python, tmp_path):
    script = tmp_path / "telium_client.py"
    script.write_text(CLIENT, encoding="utf-8")

    def run(*args: str, timeout: float = 60) -> dict:
        done = subprocess.run([str(telium_python), str(script), *args], capture_output=True, text=True,
                              timeout=timeout, cwd=tmp_path)
        assert done.returncode == 0, f"pyTeliumManager client failed:\n{done.stderr[-3000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture
def sim(tmp_path):
    started = []

    def make(steps: str):
        running = start_sim(tmp_path / f"sim{len(started)}", scenario_text=f'name = "telium"\n{steps}')
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


def test_their_request_frame_is_ours_and_they_read_our_answers(client):
    ours_request = frame(PaymentRequest(pos_number=1, amount_minor=1250, private="").encode())
    full = frame(PaymentAnswer(pos_number=1, status="0", amount_minor=108, report="672559******1234",
                               private="AP").encode())  # its LRC is 0x03, the ETX byte
    short = frame(PaymentAnswer(pos_number=1, status="7", amount_minor=1250).encode())
    assert full[-1] == 0x03
    got = client("codec", full.hex(), short.hex())
    assert bytes.fromhex(got["ask"]) == ours_request
    assert got["decoded"] == [
        {"result": 0, "amount": 1.08, "card": "672559******1234", "private": "AP        ", "currency": "978"},
        {"result": 7, "amount": 12.5, "card": "", "private": "          ", "currency": "978"},
    ]


def test_approved_payment(client, sim):
    terminal = sim('[[steps]]\naction = "approve"\n')
    out = client("pay", terminal.device, "12.5", "20")
    assert out["accepted"] is True
    assert out["answer"] == {"succeeded": True, "result": 0, "amount": 12.5,
                             "card": "672559******1234", "currency": "978"}
    assert [(r["amount_minor"], r["charged"]) for r in terminal.requests()] == [(1250, True)]


def test_declined_payment(client, sim):
    terminal = sim('[[steps]]\naction = "decline"\n')
    out = client("pay", terminal.device, "7.0", "20")
    assert out["accepted"] is True
    assert out["answer"]["succeeded"] is False and out["answer"]["result"] == 7
    assert [(r["amount_minor"], r["charged"]) for r in terminal.requests()] == [(700, False)]


def test_lost_answer_is_reported_as_a_timeout(client, sim):
    terminal = sim('[[steps]]\naction = "lose_answer"\n')
    wait = 2.0
    started = time.monotonic()
    out = client("pay", terminal.device, "3.0", str(wait))
    assert out["accepted"] is True          # the terminal took the request...
    assert out["answer"] is None            # ...and pyTeliumManager timed out waiting
    assert out["waited_s"] >= wait - 0.1 and time.monotonic() - started >= wait
    assert [(r["amount_minor"], r["charged"]) for r in terminal.requests()] == [(300, True)]
