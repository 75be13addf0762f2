"""Sync over TLS with the agent's client certificate (mosquitto requires and checks it)."""

from __future__ import annotations

import datetime as dt
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.outbox import Outbox
from agent.store import Store
from agent.sync import Backoff, SyncClient, TlsFiles

from tests.agent.conftest import AGENT_ID
from tests.support.acking_peer import AckingPeer
from tests.support.broker import Mosquitto, free_port
from tests.support.waiting import wait_until


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_pki(folder):
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "counterpay test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))

    def issue(cn: str, serial: int, server: bool):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                   .issuer_name(ca_name).public_key(key.public_key()).serial_number(serial)
                   .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1)))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        (folder / f"{cn}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / f"{cn}.key").write_bytes(_pem_key(key))

    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    issue("broker", 2, True)
    issue(AGENT_ID, 3, False)


def test_outbox_drains_over_tls_with_the_client_certificate(tmp_path, keys):
    pki = tmp_path / "pki"
    pki.mkdir()
    make_pki(pki)
    plain, tls_port = free_port(), free_port()
    broker = Mosquitto(tmp_path / "broker", port=plain)
    broker.config_path.write_text("\n".join([
        "user root",                        # read the test's 0700 temp folder
        "per_listener_settings true",
        f"listener {plain} 127.0.0.1", "allow_anonymous true",
        f"listener {tls_port} 127.0.0.1", "allow_anonymous true",
        f"cafile {pki / 'ca.pem'}", f"certfile {pki / 'broker.pem'}", f"keyfile {pki / 'broker.key'}",
        "require_certificate true", "use_identity_as_username true",
        "set_tcp_nodelay true", ""]))
    broker.start()
    peer = AckingPeer(plain, keys.directory, keys.hub).start()
    store = Store.open(tmp_path / "agent.db")
    outbox = Outbox(store, AGENT_ID, keys.agent)
    rows = [outbox.append("diagnostics.report", {"info": {"n": n}}) for n in range(5)]
    sync = SyncClient(store, outbox, keys.agent, AGENT_ID, f"mqtts://127.0.0.1:{tls_port}", incarnation=1,
                      birth_info=lambda: {"version": "t", "mode": "clerk", "outbox_depth": 5, "oldest_age_s": None},
                      tls=TlsFiles(str(pki / "ca.pem"), str(pki / f"{AGENT_ID}.pem"), str(pki / f"{AGENT_ID}.key")),
                      backoff=Backoff(0.05, 0.5))
    try:
        wait_until(lambda: peer.client.is_connected(), 10, "the peer connected over TLS")
        sync.start()
        wait_until(lambda: outbox.depth() == 0, 15, "an empty outbox", detail=lambda: f"last error: {sync.last_error}")
        assert [m for _, m, _, _ in peer.received] == [r.message_id for r in rows]
    finally:
        sync.stop()
        peer.stop()
        store.close()
        broker.stop()


def test_a_broker_with_an_unknown_ca_is_refused_clearly(tmp_path, keys):
    pki, other = tmp_path / "pki", tmp_path / "other"
    pki.mkdir()
    other.mkdir()
    make_pki(pki)
    make_pki(other)                       # the agent trusts a different CA
    port = free_port()
    broker = Mosquitto(tmp_path / "broker", port=port)
    broker.config_path.write_text("\n".join([
        "user root", f"listener {port} 127.0.0.1", "allow_anonymous true",
        f"cafile {pki / 'ca.pem'}", f"certfile {pki / 'broker.pem'}", f"keyfile {pki / 'broker.key'}",
        "require_certificate true", ""]))
    broker.start()
    store = Store.open(tmp_path / "agent.db")
    outbox = Outbox(store, AGENT_ID, keys.agent)
    outbox.append("diagnostics.report", {"info": {}})
    sync = SyncClient(store, outbox, keys.agent, AGENT_ID, f"mqtts://127.0.0.1:{port}", incarnation=1,
                      birth_info=lambda: {"version": "t", "mode": "clerk", "outbox_depth": 1, "oldest_age_s": None},
                      tls=TlsFiles(str(other / "ca.pem"), str(other / f"{AGENT_ID}.pem"),
                                   str(other / f"{AGENT_ID}.key")), backoff=Backoff(0.05, 0.2))
    try:
        sync.start()
        wait_until(lambda: sync.last_error, 5, "the agent's connection error")
        assert "certificate" in sync.last_error.lower()
        assert not sync.online and outbox.depth() == 1
    finally:
        sync.stop()
        store.close()
        broker.stop()
