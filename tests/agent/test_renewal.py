"""The agent's side of renewal without a broker: when it asks, what it accepts, crash safety."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.identity import CA, TLS_CERT, TLS_KEY, load_identity, pair_matches, write_private
from agent.renewal import CertificateRenewal, certificate_life
from hub.pki.ca import CertificateAuthority, PkiPaths, cert_pem, key_pem, make_csr, new_client_key, parse_csr
from protocol.keys import SigningKey
from protocol.wire import decode

AGENT = "desk-1"


@pytest.fixture
def desk(tmp_path):
    ca = CertificateAuthority.create(PkiPaths(tmp_path / "pki"))
    key_dir = tmp_path / "keys"
    key_dir.mkdir()
    key = new_client_key()
    cert = ca.issue_client(parse_csr(make_csr(AGENT, key)[0]), AGENT, days=30)
    signing = SigningKey.generate()
    write_private(key_dir / "signing_key.pem", signing.to_pem())
    write_private(key_dir / TLS_KEY, key_pem(key))
    write_private(key_dir / TLS_CERT, cert_pem(cert))
    write_private(key_dir / CA, ca.ca_pem)
    return ca, key_dir, signing


def renewal_at(key_dir, signing, days_from_now: float) -> CertificateRenewal:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days_from_now)
    return CertificateRenewal(key_dir, AGENT, signing, clock=moment.timestamp)


def issued(ca, renewal: CertificateRenewal, common_name: str = AGENT, authority=None) -> dict:
    request = decode(renewal.request().encode())
    csr = parse_csr(request.body["csr_pem"])
    cert = (authority or ca).issue_client(csr, common_name)
    return {"request_id": request.body["request_id"], "status": "issued", "certificate_pem": cert_pem(cert).decode(),
            "serial": format(cert.serial_number, "x")}


def test_it_asks_once_two_thirds_of_the_life_have_passed(desk):
    _ca, key_dir, signing = desk
    assert not renewal_at(key_dir, signing, 19).due()       # 19 of 30 days (+5 min backdate)
    assert renewal_at(key_dir, signing, 20.1).due()


def test_a_request_waiting_for_its_answer_is_not_asked_again_at_once(desk):
    _ca, key_dir, signing = desk
    renewal = renewal_at(key_dir, signing, 25)
    first = decode(renewal.request().encode())
    assert not renewal.due()
    renewal.asked_at -= renewal.ask_again_s + 1
    again = decode(renewal.request().encode())
    same_key = [parse_csr(m.body["csr_pem"]).public_key().public_numbers() for m in (first, again)]
    assert same_key[0] == same_key[1], "the same staged key: the hub answers with the same certificate"
    assert first.type == "certificate.request" and first.body["current_serial"] == certificate_life(
        key_dir / TLS_CERT)[2]


def test_an_issued_answer_is_staged_then_swapped_keeping_the_old_pair(desk):
    ca, key_dir, signing = desk
    renewal = CertificateRenewal(key_dir, AGENT, signing)
    old = (key_dir / TLS_CERT).read_bytes()
    staged = renewal.receive(issued(ca, renewal))
    assert staged is not None and (key_dir / TLS_CERT).read_bytes() == old, "nothing swapped before it works"
    renewal.commit()
    assert (key_dir / (TLS_CERT + ".old")).read_bytes() == old
    assert pair_matches(key_dir / TLS_CERT, key_dir / TLS_KEY)
    assert not (key_dir / (TLS_KEY + ".next")).exists()


@pytest.mark.parametrize("what", ["another agent", "another CA", "refused"])
def test_an_answer_that_cannot_be_used_is_not_staged(desk, tmp_path, what):
    ca, key_dir, signing = desk
    renewal = CertificateRenewal(key_dir, AGENT, signing)
    if what == "another agent":
        body = issued(ca, renewal, "desk-2")
    elif what == "another CA":
        body = issued(ca, renewal, authority=CertificateAuthority.create(PkiPaths(tmp_path / "other")))
    else:
        renewal.request()
        body = {"request_id": renewal.request_id, "status": "refused", "reason": "too_many: three already"}
    assert renewal.receive(body) is None
    assert renewal.staged is None
    assert {"another agent": "desk-2", "another CA": "CA", "refused": "too_many"}[what] in renewal.last_error


def test_a_crash_between_the_two_renames_is_finished_when_the_identity_loads(desk):
    ca, key_dir, signing = desk
    renewal = CertificateRenewal(key_dir, AGENT, signing)
    renewal.receive(issued(ca, renewal))
    (key_dir / TLS_KEY).replace(key_dir / "ignored")           # as commit() does, up to the crash:
    (key_dir / (TLS_KEY + ".next")).replace(key_dir / TLS_KEY)  # the key renamed, the certificate not
    assert not pair_matches(key_dir / TLS_CERT, key_dir / TLS_KEY)
    load_identity(key_dir)
    assert pair_matches(key_dir / TLS_CERT, key_dir / TLS_KEY)
    assert not (key_dir / (TLS_CERT + ".next")).exists()
