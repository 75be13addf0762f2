"""An agent renews its broker certificate before it expires, over its own TLS connection.

Real parts: mosquitto with the hub's generated TLS configuration (CRL, ACL, CN = username),
the real ingest worker answering with the hub's CA, the real agent sync client with its
outbox, on SQLite and PostgreSQL.  The agent asks with a new key's CSR, the hub checks it
is the certificate's agent and not revoked, and the agent swaps its files only once the
broker has accepted the new pair; a pair the broker refuses leaves the old one in use.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import func, select

from agent.identity import TLS_CERT, TLS_KEY, load_identity, write_private
from agent.outbox import Outbox
from agent.renewal import RENEW_AT, CertificateRenewal, certificate_life
from agent.store import Store
from agent.sync import Backoff, SyncClient
from hub.pki.ca import cert_pem, key_pem, make_csr, new_client_key, parse_csr, serial_hex
from hub.pki.revocation import reload_broker, revoke_agent, write_crl
from hub.store.tables import audit_log
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import iso, now_iso
from protocol.wire import make, topics
from tests.hub.conftest import hub_db  # noqa: F401  (the hub database fixture: SQLite, PostgreSQL)
from tests.security.broker_site import BrokerSite
from tests.support.broker import have_mosquitto
from tests.support.pki_broker import TlsClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")

AGENT = "renew-1"


@pytest.fixture
def site(hub_db, tmp_path):  # noqa: F811
    site = BrokerSite(hub_db, tmp_path)
    site.start_ingest("hub-renewal-test")
    yield site
    site.close()


def _aged_certificate(site: BrokerSite, key_path, days_used: int, days_left: int) -> bytes:
    """A certificate from the hub CA for the desk's key, `days_used` into its life, recorded as the hub does."""
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    now = dt.datetime.now(dt.timezone.utc)
    ca = site.broker.ca
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, AGENT)]))
            .issuer_name(ca.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=days_used)).not_valid_after(now + dt.timedelta(days=days_left))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca.key, hashes.SHA256()))
    with site.db.begin() as conn:
        conn.execute(agent_certificates.insert().values(
            serial=serial_hex(cert), agent_id=AGENT, office="riga-1", issued_at=iso(now),
            not_after=iso(cert.not_valid_after_utc), certificate_pem=cert_pem(cert).decode()))
    return cert_pem(cert)


def _desk(site: BrokerSite, tmp_path, renew_at: float = RENEW_AT, days_used: int = 0, days_left: int = 825):
    """An enrolled desk's key directory as `agent enroll` leaves it, and its sync client (not started)."""
    agent, cert, key = site.enroll(AGENT)
    if days_used:
        cert.write_bytes(_aged_certificate(site, key, days_used, days_left))
    key_dir = tmp_path / "keys"
    key_dir.mkdir(mode=0o700)
    write_private(key_dir / "signing_key.pem", agent.key.to_pem())
    write_private(key_dir / TLS_CERT, cert.read_bytes())
    write_private(key_dir / TLS_KEY, key.read_bytes())
    write_private(key_dir / "ca.pem", site.broker.ca_cert.read_bytes())
    identity = load_identity(key_dir)
    store = Store.open(tmp_path / "agent.db")
    outbox = Outbox(store, AGENT, identity.signing_key)
    renewal = CertificateRenewal(key_dir, AGENT, identity.signing_key, renew_at=renew_at, ask_again_s=5)
    sync = SyncClient(store, outbox, identity.signing_key, AGENT, f"mqtts://127.0.0.1:{site.broker.port}",
                      incarnation=1, birth_info=lambda: {"version": "t", "mode": "clerk", "outbox_depth": 0},
                      tls=identity.tls_files(), backoff=Backoff(0.05, 0.3), renewal=renewal, renewal_check_s=0.1)
    return key_dir, store, outbox, renewal, sync


def _pay(outbox: Outbox, n: int, sync: SyncClient) -> None:
    for i in range(n):
        outbox.append("diagnostics.report", {"info": {"n": i}})
    sync.wake()


def test_the_agent_renews_its_certificate_and_keeps_working_with_the_new_one(site, tmp_path):
    # 21 of 30 days used: past two thirds, so the desk asks; the new one (825 days) is not due.
    key_dir, store, outbox, renewal, sync = _desk(site, tmp_path, days_used=21, days_left=9)
    assert renewal.due()
    _begins, _ends, old_serial = certificate_life(key_dir / TLS_CERT)
    old_pem = (key_dir / TLS_CERT).read_bytes()
    _pay(outbox, 3, sync)
    sync.start()
    try:
        wait_until(lambda: certificate_life(key_dir / TLS_CERT)[2] != old_serial, 20, "the renewed certificate",
                   detail=lambda: f"sync: {sync.last_error}; renewal: {renewal.last_error}")
        new_serial = certificate_life(key_dir / TLS_CERT)[2]
        wait_until(lambda: sync.online, 10, "the agent online again")
        _pay(outbox, 3, sync)                   # after the swap: the new certificate carries payments
        wait_until(lambda: outbox.depth() == 0, 15, "every event acked", detail=lambda: f"{sync.last_error}")
    finally:
        sync.stop()
        store.close()
    assert (key_dir / (TLS_CERT + ".old")).read_bytes() == old_pem, "the pair before the swap is kept"
    assert not (key_dir / (TLS_CERT + ".next")).exists() and not (key_dir / (TLS_KEY + ".next")).exists()
    with site.db.connect() as conn:
        rows = {r.serial: r for r in conn.execute(select(agent_certificates)
                                                 .where(agent_certificates.c.agent_id == AGENT))}
        audited = conn.execute(select(func.count()).select_from(audit_log)
                               .where(audit_log.c.action == "agent.certificate_renew")).scalar_one()
    assert old_serial in rows and new_serial in rows and len(rows) == 3   # enrolled, aged, renewed
    assert rows[new_serial].token_id is None and rows[new_serial].office == rows[old_serial].office
    assert rows[old_serial].revoked_at is None, "the old certificate stays valid until it expires"
    assert audited == 1
    # The broker takes the new pair on a connection of its own, too.
    assert TlsClient(site.broker, "check", key_dir / TLS_CERT, key_dir / TLS_KEY).connect(timeout_s=5)


def test_a_new_pair_the_broker_refuses_leaves_the_old_one_in_use(site, tmp_path):
    key_dir, store, outbox, renewal, sync = _desk(site, tmp_path, renew_at=1.0)   # never due by itself
    old_pem = (key_dir / TLS_CERT).read_bytes()
    sync.start()
    try:
        wait_until(lambda: sync.online, 10, "the agent online")
        # A pair from the hub's CA that the broker's CRL then refuses (revoked on the way).
        key = new_client_key()
        cert = site.broker.ca.issue_client(parse_csr(make_csr(AGENT, key)[0]), AGENT)
        with site.db.begin() as conn:
            conn.execute(agent_certificates.insert().values(
                serial=serial_hex(cert), agent_id=AGENT, office="riga-1", issued_at=now_iso(),
                not_after=iso(cert.not_valid_after_utc), certificate_pem=cert_pem(cert).decode(),
                revoked_at=now_iso(), revoked_reason="test"))
            write_crl(conn, site.broker.ca)
        assert reload_broker(site.broker.files.pid)
        write_private(key_dir / (TLS_KEY + ".next"), key_pem(key))
        write_private(key_dir / (TLS_CERT + ".next"), cert_pem(cert))
        sync.try_certificate(renewal.staged)
        wait_until(lambda: renewal.last_error, 15, "the refused pair noticed")
        wait_until(lambda: sync.online, 15, "the agent back online with its old certificate")
        _pay(outbox, 3, sync)
        wait_until(lambda: outbox.depth() == 0, 15, "every event acked with the old certificate")
    finally:
        sync.stop()
        store.close()
    assert "not accepted" in renewal.last_error
    assert (key_dir / TLS_CERT).read_bytes() == old_pem
    assert not (key_dir / (TLS_CERT + ".next")).exists()


def test_a_revoked_agent_gets_no_new_certificate(site, tmp_path):
    """Its reconnect is refused by the CRL and its key by the ingest: nothing is issued."""
    agent, cert, key = site.enroll("gone-1")
    link = site.connect("gone-1", cert, key)
    serial = format(x509.load_pem_x509_certificate(cert.read_bytes()).serial_number, "x")
    with site.db.begin() as conn:
        revoke_agent(conn, site.broker.ca, "gone-1", "stolen", "test")
    site.context.key_directory(refresh=True)
    csr, _ = make_csr("gone-1")
    request = make("gone-1", 0, "certificate.request", {"request_id": "r1", "csr_pem": csr.decode(),
                                                        "current_serial": serial}, agent.key)
    link.subscribe(topics.commands("gone-1"))
    assert link.publish(topics.events("gone-1"), request.encode()) in (0, 16)
    time.sleep(1.5)
    with site.db.connect() as conn:
        count = conn.execute(select(func.count()).select_from(agent_certificates)
                             .where(agent_certificates.c.agent_id == "gone-1")).scalar_one()
    assert count == 1
    assert not [m for t, m in link.received() if t.endswith("/cmd")], "a revoked key gets no answer at all"
