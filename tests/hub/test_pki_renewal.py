"""The hub's side of certificate renewal: who gets a new certificate, and who is refused why.

Runs on SQLite and PostgreSQL (`hub_db`).  The live path (broker, ingest, agent) is in
tests/security/test_agent_certificate_renewal.py; here every refusal is named.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from sqlalchemy import func, select

from hub.pki.ca import CertificateAuthority, PkiPaths, make_csr, new_client_key
from hub.pki.enrollment import EnrollmentRequest, create_token, enroll
from hub.pki.renewal import MAX_LIVE_CERTIFICATES, renew
from hub.pki.revocation import revoke_agent
from hub.store.tables_pki import agent_certificates
from protocol.keys import SigningKey, public_raw
from protocol.wire.messages import CertificateRequest


@pytest.fixture
def ca(tmp_path) -> CertificateAuthority:
    return CertificateAuthority.create(PkiPaths(tmp_path / "pki"))


@pytest.fixture
def enrolled(hub_db, ca) -> str:
    """The serial of agent desk-9's enrollment certificate."""
    with hub_db.begin() as conn:
        token, _ = create_token(conn, "rome-1", "test")
        result = enroll(conn, ca, EnrollmentRequest(token, "desk-9", make_csr("desk-9")[0].decode(),
                                                    base64.b64encode(public_raw(SigningKey.generate().public_key))
                                                    .decode()))
    return result.serial


def ask(db, ca, serial: str, csr_pem: bytes | None = None, agent: str = "desk-9", **kwargs) -> dict:
    request = CertificateRequest(request_id="r-1", current_serial=serial,
                                 csr_pem=(csr_pem or make_csr("desk-9")[0]).decode())
    with db.begin() as conn:
        return renew(conn, ca, agent, request, **kwargs)


def certificates(db, agent: str = "desk-9") -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(agent_certificates)
                            .where(agent_certificates.c.agent_id == agent)).scalar_one()


def test_a_current_certificate_is_renewed_for_a_new_key(hub_db, ca, enrolled):
    answer = ask(hub_db, ca, enrolled)
    assert answer["status"] == "issued" and answer["serial"] != enrolled
    cert = x509.load_pem_x509_certificate(answer["certificate_pem"].encode())
    cert.verify_directly_issued_by(ca.cert)
    assert cert.subject.rfc4514_string() == "CN=desk-9"
    with hub_db.connect() as conn:
        row = conn.execute(select(agent_certificates).where(agent_certificates.c.serial == answer["serial"])).one()
        old = conn.execute(select(agent_certificates).where(agent_certificates.c.serial == enrolled)).one()
    assert row.office == "rome-1" and row.kid == old.kid and old.revoked_at is None


def test_the_same_csr_asked_again_gets_the_same_certificate(hub_db, ca, enrolled):
    csr, _key = make_csr("desk-9")
    first, again = ask(hub_db, ca, enrolled, csr), ask(hub_db, ca, enrolled, csr)
    assert again == first
    assert certificates(hub_db) == 2


@pytest.mark.parametrize("case, code", [
    ("unknown serial", "unknown_certificate"),
    ("another agent's", "unknown_certificate"),
    ("cn of another", "cn_mismatch"),
    ("bad csr", "bad_csr"),
    ("revoked", "revoked"),
    ("expired", "expired"),
])
def test_refusals_name_what_was_wrong(hub_db, ca, enrolled, case, code):
    serial, csr, agent, now = enrolled, None, "desk-9", None
    if case == "unknown serial":
        serial = "abc123"
    elif case == "another agent's":     # desk-10 names desk-9's certificate
        agent, csr = "desk-10", make_csr("desk-10")[0]
    elif case == "cn of another":
        csr = make_csr("desk-10")[0]
    elif case == "bad csr":
        csr = b"-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n"
    elif case == "revoked":
        with hub_db.begin() as conn:
            revoke_agent(conn, ca, "desk-9", "stolen", "test")
    elif case == "expired":
        now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=900)
    answer = ask(hub_db, ca, serial, csr, agent=agent, now=now)
    assert answer["status"] == "refused" and answer["reason"].startswith(code + ":"), answer
    assert certificates(hub_db) == 1
    assert certificates(hub_db, "desk-10") == 0


def test_a_csr_for_the_current_key_is_refused(hub_db, ca):
    key = new_client_key()
    csr, _ = make_csr("desk-9", key)
    with hub_db.begin() as conn:
        token, _ = create_token(conn, "rome-1", "test")
        serial = enroll(conn, ca, EnrollmentRequest(token, "desk-9", csr.decode(), base64.b64encode(
            public_raw(SigningKey.generate().public_key)).decode())).serial
    answer = ask(hub_db, ca, serial, make_csr("desk-9", key)[0])
    assert answer["status"] == "refused" and answer["reason"].startswith("same_key:")


def test_an_agent_asking_in_a_loop_is_stopped(hub_db, ca, enrolled):
    answers = [ask(hub_db, ca, enrolled) for _ in range(MAX_LIVE_CERTIFICATES)]
    assert [a["status"] for a in answers] == ["issued"] * (MAX_LIVE_CERTIFICATES - 1) + ["refused"]
    assert answers[-1]["reason"].startswith("too_many:")
    assert certificates(hub_db) == MAX_LIVE_CERTIFICATES
