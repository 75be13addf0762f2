"""Enrollment through the hub API, end to end with the real broker.

An operator creates a token over the API; the agent posts its CSR and Ed25519 key; the
certificate it gets back connects to the mosquitto configured by `hub broker-config`;
the key directory, published retained, lists its key; revoking the agent over the API
puts it on the CRL (the broker re-reads it) and marks the key revoked in the directory.
"""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.security import create_token
from hub.config import BrokerSettings, Settings
from hub.context import HubContext
from hub.pki.ca import make_csr
from protocol.keys import KeyDirectory, SigningKey, public_raw
from protocol.wire import topics
from tests.support.broker import have_mosquitto
from tests.support.pki_broker import TlsBroker, TlsClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


@pytest.fixture
def hub(hub_db, tmp_path):
    broker = TlsBroker(tmp_path / "hub").start()
    publisher = broker.hub_client("hub-api-publisher")
    assert publisher.connect()
    settings = Settings(database_url=hub_db.url, data_dir=broker.hub_dir,
                        broker=BrokerSettings(host="127.0.0.1", port=broker.port))
    context = HubContext(settings=settings, db=hub_db, order_key=SigningKey.generate(),
                         event_key=SigningKey.generate(), directory_ttl_s=0.0,
                         publisher=lambda topic, payload, retain: publisher.publish(topic, payload, retain=retain))
    with hub_db.begin() as conn:
        admin, _ = create_token(conn, "admin", "admin", "test")
        auditor, _ = create_token(conn, "auditor", "auditor", "test")
    client = TestClient(create_app(settings, context=context))
    client.headers_for = lambda token: {"Authorization": f"Bearer {token}"}
    yield client, broker, context, {"admin": admin, "auditor": auditor}
    publisher.close()
    broker.stop()


def enroll_body(token: str, agent_id: str, key: SigningKey, csr_pem: bytes) -> dict:
    return {"token": token, "agent_id": agent_id, "csr_pem": csr_pem.decode(),
            "signing_public_key": base64.b64encode(public_raw(key.public_key)).decode()}


def test_enroll_over_the_api_then_connect_with_the_certificate(hub, tmp_path):
    client, broker, context, tokens = hub
    assert client.post("/api/v1/enrollment-tokens", json={"office": "rome-1"}).status_code == 401
    assert client.post("/api/v1/enrollment-tokens", json={"office": "rome-1"},
                       headers=client.headers_for(tokens["auditor"])).status_code == 403
    created = client.post("/api/v1/enrollment-tokens", json={"office": "rome-1", "expires_in_hours": 2},
                          headers=client.headers_for(tokens["admin"]))
    assert created.status_code == 201, created.text
    token = created.json()["token"]

    key = SigningKey.generate()
    csr_pem, tls_key = make_csr("counter-01")
    answer = client.post("/api/v1/enroll", json=enroll_body(token, "counter-01", key, csr_pem))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["agent_id"] == "counter-01" and body["office"] == "rome-1"
    assert body["broker"] == {"host": "127.0.0.1", "port": broker.port}
    assert body["ca_pem"].encode() == broker.paths.ca_cert.read_bytes()
    directory = KeyDirectory.from_json(body["key_directory"])
    assert directory.get(key.kid).owner == "counter-01"
    assert directory.get(context.order_key.kid).uses == ("order",)

    again = client.post("/api/v1/enroll", json=enroll_body(token, "counter-02", SigningKey.generate(),
                                                           make_csr("counter-02")[0]))
    assert again.status_code == 403 and again.json()["detail"]["code"] == "token_used"

    cert_path, key_path = tmp_path / "agent.pem", tmp_path / "agent.key"
    cert_path.write_text(body["certificate_pem"])
    key_path.write_bytes(tls_key)
    agent = TlsClient(broker, "counter-01", cert_path, key_path)
    assert agent.connect(), "the enrolled certificate must open the broker"
    agent.subscribe(topics.KEYS)
    wait_until(lambda: any(t == topics.KEYS and key.kid in p.decode() for t, p in agent.received()), 5,
               "the key directory with the enrolled key")
    published = KeyDirectory.from_json(json.loads(agent.received()[-1][1]))
    assert published.get(key.kid).revoked_at is None
    agent.close()

    listed = client.get("/api/v1/enrollment-tokens", headers=client.headers_for(tokens["auditor"])).json()
    assert [(t["status"], t["used_by"]) for t in listed] == [("used", "counter-01")]

    # Revocation: broker refuses the certificate from now on; the published directory says revoked.
    watcher = broker.hub_client("hub-watcher")
    assert watcher.connect()
    watcher.subscribe(topics.KEYS)
    assert client.post("/api/v1/agents/counter-01/revoke", json={"reason": "stolen"},
                       headers=client.headers_for(tokens["auditor"])).status_code == 403
    revoked = client.post("/api/v1/agents/counter-01/revoke", json={"reason": "stolen"},
                          headers=client.headers_for(tokens["admin"]))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["broker_reloaded"] is True and revoked.json()["kids"] == [key.kid]

    def revoked_in_directory() -> bool:
        latest = [p for t, p in watcher.received() if t == topics.KEYS]
        return bool(latest) and KeyDirectory.from_json(json.loads(latest[-1])).get(key.kid).revoked_at is not None
    wait_until(revoked_in_directory, 5, "the key directory with the key revoked")
    watcher.close()
    again_agent = TlsClient(broker, "counter-01-retry", cert_path, key_path)
    wait_until(lambda: not _connects(again_agent), 5, "the broker to refuse the revoked certificate")
    assert client.get("/api/v1/keys").json()["keys"]


def _connects(client: TlsClient) -> bool:
    ok = client.connect(timeout_s=1.0)
    client.close()
    return ok


def test_enroll_errors_are_clear(hub):
    client, _broker, _context, tokens = hub
    token = client.post("/api/v1/enrollment-tokens", json={"office": "rome-1"},
                        headers=client.headers_for(tokens["admin"])).json()["token"]
    key = SigningKey.generate()
    bad_csr = client.post("/api/v1/enroll", json={**enroll_body(token, "counter-03", key, b""), "csr_pem": "junk"})
    assert bad_csr.status_code == 422 and bad_csr.json()["detail"]["code"] == "bad_csr"
    mismatch = client.post("/api/v1/enroll", json=enroll_body(token, "counter-03", key, make_csr("counter-04")[0]))
    assert mismatch.status_code == 422 and mismatch.json()["detail"]["code"] == "cn_mismatch"
    missing = client.post("/api/v1/enroll", json={"token": token})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} >= {"body.agent_id", "body.csr_pem"}
    bad_expiry = client.post("/api/v1/enrollment-tokens", json={"office": "x", "expires_in_hours": 0},
                             headers=client.headers_for(tokens["admin"]))
    assert bad_expiry.status_code == 422
