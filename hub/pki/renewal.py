"""Renewing an agent's broker certificate before it expires, without a new enrollment.

The agent asks on its own `…/A/events` topic (a `certificate.request`): the broker lets
only a client whose certificate has CN ``A`` publish there, and the hub checks the
envelope's signature against A's registered, unrevoked Ed25519 key.  So the request
comes from the certificate's agent; what is checked here on top is that the
certificate it names is A's, still current (not revoked, not expired), and that the
CSR is for A with a new key.  The hub's CA then issues the new certificate, recorded
like an enrollment's (no token), audited, and answered on `…/A/cmd`.

The old certificate stays valid until it expires: the agent keeps using it until it has
connected with the new one.  Revoking the agent revokes every certificate it holds.
Asking again with the same CSR (a lost answer) gets the certificate already issued for
that key, never a second one.
"""

from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.pki.ca import CLIENT_DAYS, CertificateAuthority, CsrProblem, cert_pem, csr_common_name, parse_csr, serial_hex
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import iso, parse
from protocol.wire.messages import CertificateAnswer, CertificateRequest, body_of

log = logging.getLogger(__name__)

MAX_LIVE_CERTIFICATES = 3
"""Unexpired certificates one agent may hold at once: the current one, its successor, and
one spare for an answer lost on the way.  More means something asks in a loop."""


class Refused(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


def _public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _answer(request_id: str, **fields) -> dict:
    return body_of(CertificateAnswer(request_id=request_id, **fields))


def renew(conn: Connection, ca: CertificateAuthority, agent_id: str, request: CertificateRequest, *,
          days: int = CLIENT_DAYS, now: dt.datetime | None = None) -> dict:
    """Answer `agent_id`'s request (in the caller's transaction): a certificate.answer body."""
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        pem, serial, not_after = _issue(conn, ca, agent_id, request, days, now)
    except Refused as refused:
        log.warning("certificate renewal of agent %s refused: %s (%s)", agent_id, refused.reason, refused.code)
        return _answer(request.request_id, status="refused", reason=f"{refused.code}: {refused.reason}"[:200])
    return _answer(request.request_id, status="issued", certificate_pem=pem, serial=serial, not_after=not_after)


def _issue(conn: Connection, ca: CertificateAuthority, agent_id: str, request: CertificateRequest,
           days: int, now: dt.datetime) -> tuple[str, str, str]:
    try:
        csr = parse_csr(request.csr_pem)
    except CsrProblem as exc:
        raise Refused("bad_csr", str(exc)) from None
    if csr_common_name(csr) != agent_id:
        raise Refused("cn_mismatch", f"the CSR's common name is {csr_common_name(csr)!r}; it must be the agent id "
                      f"{agent_id!r}")
    rows = list(conn.execute(select(agent_certificates).where(agent_certificates.c.agent_id == agent_id)).mappings())
    current = next((row for row in rows if row["serial"] == request.current_serial), None)
    if current is None:
        raise Refused("unknown_certificate", f"certificate {request.current_serial} is not one this hub issued to "
                      f"agent {agent_id}")
    if current["revoked_at"]:
        raise Refused("revoked", f"certificate {request.current_serial} was revoked at {current['revoked_at']}; "
                      "the agent must be enrolled again")
    if parse(current["not_after"]) <= now:
        raise Refused("expired", f"certificate {request.current_serial} expired at {current['not_after']}; "
                      "the agent must be enrolled again")
    wanted = _public_der(csr.public_key())
    for row in rows:   # the same key asked again: the answer was lost, send the same certificate
        cert = x509.load_pem_x509_certificate(row["certificate_pem"].encode("ascii"))
        if _public_der(cert.public_key()) == wanted:
            if row["serial"] == request.current_serial:
                raise Refused("same_key", "the CSR is for the key of the current certificate; renew with a new key")
            if row["revoked_at"]:
                raise Refused("revoked", f"the CSR's key belongs to revoked certificate {row['serial']}")
            return row["certificate_pem"], row["serial"], row["not_after"]
    live = [row for row in rows if not row["revoked_at"] and parse(row["not_after"]) > now]
    if len(live) >= MAX_LIVE_CERTIFICATES:
        raise Refused("too_many", f"agent {agent_id} already holds {len(live)} unexpired certificates; "
                      "let one expire or revoke the agent and enroll it again")
    cert = ca.issue_client(csr, agent_id, days=days)
    pem, serial = cert_pem(cert).decode("ascii"), serial_hex(cert)
    not_after = iso(cert.not_valid_after_utc)
    conn.execute(agent_certificates.insert().values(
        serial=serial, agent_id=agent_id, office=current["office"], token_id=None, issued_at=iso(now),
        not_after=not_after, certificate_pem=pem, kid=current["kid"]))
    record(conn, f"agent:{agent_id}", "agent.certificate_renew", f"agent:{agent_id}",
           {"serial": serial, "replaces": request.current_serial, "not_after": not_after})
    return pem, serial, not_after
