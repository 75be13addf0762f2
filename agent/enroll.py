"""Enroll this desk with a hub: keys made here, a CSR sent, the certificate stored safely.

1. an Ed25519 signing key (events, receipts) and an EC P-256 TLS key are generated
   locally: private keys never leave the PC;
2. a CSR with CN = agent id goes to POST {hub}/api/v1/enroll with the one-time token
   and the raw signing public key (base64);
3. the answer {certificate_pem, ca_pem, key_directory, broker} is written next to the
   keys.  The folder is 0700 and every file 0600, written via a temporary file and
   rename so a crash never leaves half a key.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from protocol.keys import SigningKey, public_raw
from protocol.wire.topics import AGENT_ID_RE

from agent.identity import API_TOKEN, CA, SIGNING_KEY, TLS_CERT, TLS_CSR, TLS_KEY, write_private as _write_private


class EnrollError(RuntimeError):
    """Enrollment failed; the message says why and what to do."""


def make_keys(key_dir: Path, agent_id: str) -> tuple[SigningKey, bytes]:
    """Create (or reuse, so a retried enrollment keeps its identity) the keys and the CSR."""
    signing_path, tls_path = key_dir / SIGNING_KEY, key_dir / TLS_KEY
    if signing_path.exists():
        signing = SigningKey.from_pem(signing_path.read_bytes())
    else:
        signing = SigningKey.generate()
        _write_private(signing_path, signing.to_pem())
    if tls_path.exists():
        tls_key = serialization.load_pem_private_key(tls_path.read_bytes(), password=None)
    else:
        tls_key = ec.generate_private_key(ec.SECP256R1())
        _write_private(tls_path, tls_key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, agent_id)]))
           .sign(tls_key, hashes.SHA256()))
    csr_pem = csr.public_bytes(serialization.Encoding.PEM)
    _write_private(key_dir / TLS_CSR, csr_pem)
    return signing, csr_pem


def enroll(hub_url: str, token: str, agent_id: str, key_dir: str | os.PathLike,
           ca_file: str | None = None, timeout_s: float = 15.0) -> dict:
    import httpx
    if not AGENT_ID_RE.match(agent_id):
        raise EnrollError(f"agent id {agent_id!r}: use 1-63 lower-case letters, digits, '.', '_' or '-'")
    folder = Path(key_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        signing, csr_pem = make_keys(folder, agent_id)
    except OSError as exc:
        raise EnrollError(f"cannot write keys in {folder}: {exc.strerror or exc}") from None
    body = {"token": token, "agent_id": agent_id, "csr_pem": csr_pem.decode("ascii"),
            "signing_public_key": base64.b64encode(public_raw(signing.public_key)).decode("ascii")}
    url = hub_url.rstrip("/") + "/api/v1/enroll"
    try:
        response = httpx.post(url, json=body, timeout=timeout_s, verify=ca_file or True)
    except httpx.HTTPError as exc:
        raise EnrollError(f"cannot reach the hub at {url}: {exc}") from None
    if response.status_code not in (200, 201):
        try:
            detail = response.json().get("detail")
            detail = detail.get("message", detail) if isinstance(detail, dict) else detail
        except ValueError:
            detail = response.text[:200]
        raise EnrollError(f"the hub refused the enrollment ({response.status_code}): {detail}")
    try:
        answer = response.json()
        certificate, ca_pem = answer["certificate_pem"], answer["ca_pem"]
        broker = answer.get("broker") or {}
    except (ValueError, KeyError, TypeError) as exc:
        raise EnrollError(f"the hub's answer is not an enrollment result: {exc!r}") from None
    try:
        cert = x509.load_pem_x509_certificate(certificate.encode("ascii"))
    except ValueError as exc:
        raise EnrollError(f"the hub sent an unreadable certificate: {exc}") from None
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not cn or cn[0].value != agent_id:
        raise EnrollError(f"the certificate is for {cn[0].value if cn else 'nobody'}, not for {agent_id}")
    broker_url = f"mqtts://{broker['host']}:{broker['port']}" if broker.get("host") else ""
    _write_private(folder / TLS_CERT, certificate.encode("ascii"))
    _write_private(folder / CA, ca_pem.encode("ascii"))
    _write_private(folder / "key_directory.json", json.dumps(answer.get("key_directory") or {}).encode("utf-8"))
    _write_private(folder / "broker.txt", broker_url.encode("ascii"))
    if answer.get("api_token"):
        _write_private(folder / API_TOKEN, str(answer["api_token"]).encode("ascii"))
    return {"agent_id": agent_id, "broker_url": broker_url, "kid": signing.kid,
            "certificate_expires": cert.not_valid_after_utc.isoformat()}
