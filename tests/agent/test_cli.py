"""`counterpay agent status / enroll / run`: real processes, a real HTTP enrollment endpoint."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.enroll import EnrollError, enroll
from agent.identity import load_identity

from tests.agent.agent_process import AgentProcess
from tests.agent.conftest import COUNTERPAY, ROOT, write_config


def counterpay(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COUNTERPAY, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_status_reads_the_store_of_a_stopped_agent(tmp_path, keys):
    config = write_config(tmp_path, keys)
    agent = AgentProcess(config)
    assert agent.next("ready") is not None
    agent.pay(1200, tender="cash")
    assert agent.next("outcome")["outcome"] == "approved"
    agent.stop()
    report = json.loads(counterpay("agent", "status", "--config", str(config), "--json").stdout)
    assert report["outbox_depth"] == 1 and report["open_intents"] == [] and report["last_seq"] == 1
    assert report["incarnation"] == 1
    text = counterpay("agent", "status", "--config", str(config)).stdout
    assert "outbox: 1 waiting for the hub" in text


def test_run_with_a_corrupt_config_says_what_is_wrong_and_exits_2(tmp_path):
    bad = tmp_path / "agent.toml"
    bad.write_text('[agent]\nid = "desk-1"\noffice = "x"\ndata_dir = "d"\n[printer]\ncolumns = 40\n')
    result = counterpay("agent", "run", "--config", str(bad), "--headless")
    assert result.returncode == 2
    assert f"{bad}: [printer] columns: expected 42 or 48, got 40" in result.stderr


def test_run_without_keys_tells_how_to_enroll(tmp_path):
    config = tmp_path / "agent.toml"
    config.write_text(f'[agent]\nid = "desk-1"\noffice = "x"\ndata_dir = "{tmp_path / "d"}"\n')
    result = counterpay("agent", "run", "--config", str(config), "--headless")
    assert result.returncode == 2 and "counterpay agent enroll" in result.stderr


class FakeHubCA:
    """Just the enrollment endpoint: checks the body, signs the CSR with a throwaway CA."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
                     .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
                     .sign(self.key, hashes.SHA256()))
        self.bodies: list[dict] = []

    def issue(self, body: dict) -> dict:
        csr = x509.load_pem_x509_csr(body["csr_pem"].encode())
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(self.cert.subject)
                .public_key(csr.public_key()).serial_number(2).not_valid_before(now)
                .not_valid_after(now + dt.timedelta(days=365)).sign(self.key, hashes.SHA256()))
        pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
        return {"agent_id": body["agent_id"], "office": "Riga 1", "certificate_pem": pem(cert), "ca_pem": pem(self.cert),
                "key_directory": {"version": 1, "keys": []}, "broker": {"host": "hub.example", "port": 8883}}


@pytest.fixture
def hub_http():
    ca = FakeHubCA()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            ca.bodies.append(body)
            if body["token"] != "good-token":
                answer, code = {"detail": {"code": "token_unknown", "message": "the token is not valid"}}, 403
            else:
                answer, code = ca.issue(body), 201
            data = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", ca
    server.shutdown()


def test_enroll_stores_certificate_and_keys_with_safe_permissions(tmp_path, hub_http):
    url, ca = hub_http
    key_dir = tmp_path / "keys"
    result = counterpay("agent", "enroll", "--hub", url, "--token", "good-token", "--agent-id", "riga-desk-01",
                        "--dir", str(key_dir))
    assert result.returncode == 0, result.stderr
    assert "mqtts://hub.example:8883" in result.stdout
    assert stat.S_IMODE(os.stat(key_dir).st_mode) == 0o700
    for name in ("signing_key.pem", "client.key", "client.pem", "ca.pem", "client.csr"):
        assert stat.S_IMODE(os.stat(key_dir / name).st_mode) == 0o600, name
    body = ca.bodies[0]
    csr = x509.load_pem_x509_csr(body["csr_pem"].encode())
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "riga-desk-01"
    identity = load_identity(key_dir)
    import base64
    from protocol.keys import public_raw
    assert base64.b64decode(body["signing_public_key"]) == public_raw(identity.signing_key.public_key)
    assert identity.tls_files() is not None


def test_enroll_refused_token_is_reported(tmp_path, hub_http):
    url, _ = hub_http
    with pytest.raises(EnrollError, match="refused the enrollment \\(403\\): the token is not valid"):
        enroll(url, "bad", "riga-desk-01", tmp_path / "keys")
    with pytest.raises(EnrollError, match="cannot reach the hub"):
        enroll("http://127.0.0.1:1", "t", "riga-desk-01", tmp_path / "keys2")


def test_headless_run_answers_a_failed_payment_with_a_refusal_and_reads_on(capsys):
    from agent.cli import _scripted
    from agent.payments import PaymentOutcome

    class FailingOnce:
        def __init__(self):
            self.calls = 0

        def pay(self, request, on_progress):
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("the receipt layout broke")
            return PaymentOutcome("p-2", "approved", "paid in cash")

    lines = io.StringIO('{"amount_minor": 100, "currency": "EUR", "tender": "cash"}\n' * 2)
    _scripted(FailingOnce(), lines, threading.Event())
    first, second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first["event"] == "outcome" and first["outcome"] == "refused" and first["payment_id"] is None
    assert "the receipt layout broke" in first["message"] and "before taking it again" in first["message"]
    assert second["outcome"] == "approved"
