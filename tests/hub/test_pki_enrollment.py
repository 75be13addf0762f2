"""Enrollment: a one-time, expiring, office-bound token turns a CSR into a certificate.

Runs on SQLite and PostgreSQL (the `hub_db` fixture).  Each refusal names what was
wrong, leaves the token unused and stores nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from hub.audit.log import entries, verify
from hub.pki import keydir
from hub.pki.ca import CertificateAuthority, PkiPaths, make_csr
from hub.pki.enrollment import EnrollmentRefused, EnrollmentRequest, create_token, enroll, list_tokens, revoke_token
from hub.pki.revocation import revoke_agent
from hub.store.tables import agents
from hub.store.tables_pki import agent_certificates, enrollment_tokens
from protocol.keys import SigningKey, VerificationFailure, public_raw

OPERATOR = "token:1:ops"


@pytest.fixture
def ca(tmp_path) -> CertificateAuthority:
    return CertificateAuthority.create(PkiPaths(tmp_path / "pki"))


def request_for(token: str, agent_id: str, csr_cn: str | None = None, key: SigningKey | None = None,
                csr_pem: str | None = None) -> EnrollmentRequest:
    key = key or SigningKey.generate()
    csr = csr_pem if csr_pem is not None else make_csr(csr_cn or agent_id or "x")[0].decode()
    return EnrollmentRequest(token, agent_id, csr, base64.b64encode(public_raw(key.public_key)).decode())


def new_token(db, office="rome-1", **kwargs) -> str:
    with db.begin() as conn:
        token, _info = create_token(conn, office, OPERATOR, **kwargs)
    return token


def refused(db, ca, request: EnrollmentRequest, **kwargs) -> EnrollmentRefused:
    with pytest.raises(EnrollmentRefused) as caught:
        with db.begin() as conn:
            enroll(conn, ca, request, **kwargs)
    return caught.value


def test_enrollment_issues_a_certificate_with_the_agent_id_as_cn(hub_db, ca):
    token = new_token(hub_db, office="rome-1")
    key = SigningKey.generate()
    with hub_db.begin() as conn:
        result = enroll(conn, ca, request_for(token, "counter-07", key=key))
    cert = x509.load_pem_x509_certificate(result.certificate_pem.encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "counter-07"
    assert cert.issuer == ca.cert.subject
    ca.cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    assert result.office == "rome-1" and result.kid == key.kid
    with hub_db.connect() as conn:
        directory = keydir.load_directory(conn)
        assert conn.execute(select(agents.c.agent_id).where(agents.c.agent_id == "counter-07")).first()
        log = entries(conn)
        assert not verify(conn)
    entry = directory.get(key.kid)
    assert entry.owner == "counter-07" and entry.uses == ("event", "receipt") and entry.revoked_at is None
    signature = key.sign(b"receipt bytes")
    assert directory.verify(key.kid, signature, b"receipt bytes", use="receipt", owner="counter-07")
    assert [e["action"] for e in log][:2] == ["agent.enroll", "enrollment_token.create"]


def test_token_is_single_use(hub_db, ca):
    token = new_token(hub_db)
    with hub_db.begin() as conn:
        enroll(conn, ca, request_for(token, "counter-1"))
    problem = refused(hub_db, ca, request_for(token, "counter-2"))
    assert (problem.status, problem.code) == (403, "token_used")
    assert "single use" in problem.message


def test_expired_token_is_rejected(hub_db, ca):
    fresh = new_token(hub_db, hours=1)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1, seconds=1)
    assert refused(hub_db, ca, request_for(fresh, "counter-1"), now=later).code == "token_expired"
    two_hours_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    token = new_token(hub_db, hours=1, now=two_hours_ago)
    problem = refused(hub_db, ca, request_for(token, "counter-1"))
    assert (problem.status, problem.code) == (403, "token_expired")
    assert "expired at" in problem.message
    with hub_db.connect() as conn:
        assert [t["status"] for t in list_tokens(conn)] == ["expired", "open"]


def test_unknown_and_revoked_tokens_are_rejected(hub_db, ca):
    assert refused(hub_db, ca, request_for("cpe_not-a-token", "counter-1")).code == "token_unknown"
    token = new_token(hub_db)
    with hub_db.begin() as conn:
        token_id = list_tokens(conn)[0]["token_id"]
        assert revoke_token(conn, token_id, OPERATOR)["status"] == "revoked"
    assert refused(hub_db, ca, request_for(token, "counter-1")).code == "token_revoked"


def test_token_is_stored_only_as_a_hash(hub_db):
    token = new_token(hub_db)
    with hub_db.connect() as conn:
        stored = conn.execute(select(enrollment_tokens)).mappings().one()
    assert token not in {str(value) for value in stored.values()}


def test_bad_csr_is_rejected_with_a_clear_error_and_the_token_stays_usable(hub_db, ca):
    token = new_token(hub_db)
    problem = refused(hub_db, ca, request_for(token, "counter-1", csr_pem="hello, I am a CSR"))
    assert (problem.status, problem.code) == (422, "bad_csr")
    assert "BEGIN CERTIFICATE REQUEST" in problem.message
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak_csr = (x509.CertificateSigningRequestBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "counter-1")]))
                .sign(weak, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    problem = refused(hub_db, ca, request_for(token, "counter-1", csr_pem=weak_csr.decode()))
    assert problem.code == "bad_csr" and "1024 bits" in problem.message
    with hub_db.begin() as conn:   # nothing was consumed by the refusals
        enroll(conn, ca, request_for(token, "counter-1"))


def test_cn_mismatch_is_rejected(hub_db, ca):
    token = new_token(hub_db)
    problem = refused(hub_db, ca, request_for(token, "counter-1", csr_cn="counter-2"))
    assert (problem.status, problem.code) == (422, "cn_mismatch")
    assert "'counter-2'" in problem.message and "'counter-1'" in problem.message


@pytest.mark.parametrize("agent_id", ["hub", "Counter-1", "a/b", "a+", ""])
def test_reserved_or_unsafe_agent_ids_are_rejected(hub_db, ca, agent_id):
    token = new_token(hub_db)
    assert refused(hub_db, ca, request_for(token, agent_id)).code == "bad_agent_id"


def test_bad_signing_key_is_rejected(hub_db, ca):
    token = new_token(hub_db)
    request = EnrollmentRequest(token, "counter-1", make_csr("counter-1")[0].decode(),
                                base64.b64encode(b"short").decode())
    problem = refused(hub_db, ca, request)
    assert problem.code == "bad_signing_key" and "32-byte Ed25519" in problem.message


def test_token_bound_to_an_agent_id_is_refused_for_another(hub_db, ca):
    token = new_token(hub_db, agent_id="counter-9")
    assert refused(hub_db, ca, request_for(token, "counter-8")).code == "token_agent_mismatch"
    with hub_db.begin() as conn:
        assert enroll(conn, ca, request_for(token, "counter-9")).agent_id == "counter-9"


def test_an_enrolled_agent_id_needs_revocation_before_enrolling_again(hub_db, ca):
    first, second = new_token(hub_db), new_token(hub_db)
    old_key = SigningKey.generate()
    with hub_db.begin() as conn:
        enroll(conn, ca, request_for(first, "counter-1", key=old_key))
    assert refused(hub_db, ca, request_for(second, "counter-1")).code == "already_enrolled"
    with hub_db.begin() as conn:
        revoke_agent(conn, ca, "counter-1", "PC replaced", OPERATOR)
    assert refused(hub_db, ca, request_for(second, "counter-1", key=old_key)).code == "key_reused"
    with hub_db.begin() as conn:
        enroll(conn, ca, request_for(second, "counter-1"))


def test_revocation_marks_the_key_revoked_in_the_directory_and_lists_the_serial_in_the_crl(hub_db, ca):
    token = new_token(hub_db)
    key = SigningKey.generate()
    with hub_db.begin() as conn:
        result = enroll(conn, ca, request_for(token, "counter-5", key=key))
    with hub_db.begin() as conn:
        revoke_agent(conn, ca, "counter-5", "stolen", OPERATOR)
    with hub_db.connect() as conn:
        directory = keydir.load_directory(conn)
        actions = [e["action"] for e in entries(conn)]
    entry = directory.get(key.kid)
    assert entry.revoked_at and entry.revoked_reason == "stolen"
    with pytest.raises(VerificationFailure) as caught:
        directory.verify(key.kid, key.sign(b"x"), b"x", use="event", owner="counter-5")
    assert caught.value.reason == "revoked"
    crl = x509.load_pem_x509_crl(ca.paths.crl.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(int(result.serial, 16)) is not None
    assert crl.is_signature_valid(ca.cert.public_key())
    assert "agent.revoke" in actions


def test_revoking_an_unknown_agent_says_so(hub_db, ca):
    with pytest.raises(EnrollmentRefused) as caught:
        with hub_db.begin() as conn:
            revoke_agent(conn, ca, "ghost", "x", OPERATOR)
    assert caught.value.status == 404 and "never enrolled" in caught.value.message


def test_two_agents_racing_for_one_token_get_one_certificate(hub_db, ca):
    token = new_token(hub_db)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(agent_id: str) -> None:
        request = request_for(token, agent_id)
        barrier.wait()
        try:
            with hub_db.begin() as conn:
                enroll(conn, ca, request)
            outcomes.append("enrolled")
        except EnrollmentRefused as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt, args=(f"racer-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["enrolled", "token_used"]
    with hub_db.connect() as conn:
        assert len(conn.execute(select(agent_certificates)).all()) == 1
