"""Fleet identities: enroll simulated agents with the hub and keep their credentials.

Enrollment is the same as a real agent's: a TLS key and a CSR with CN = agent id, an
Ed25519 signing key, a one-time token from the hub's API, `POST /api/v1/enroll`.
Credentials are kept under the fleet folder so a second run reuses them.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from protocol.keys import SigningKey, public_raw


@dataclass
class FleetIdentity:
    agent_id: str
    folder: Path
    signing_key: SigningKey
    broker_host: str
    broker_port: int

    @property
    def certfile(self) -> str:
        return str(self.folder / "client.crt")

    @property
    def keyfile(self) -> str:
        return str(self.folder / "client.key")

    @property
    def cafile(self) -> str:
        return str(self.folder / "ca.crt")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load(folder: Path) -> FleetIdentity | None:
    meta = folder / "identity.json"
    if not meta.exists():
        return None
    data = json.loads(meta.read_text())
    key = SigningKey.from_pem((folder / "signing-key.pem").read_bytes())
    return FleetIdentity(data["agent_id"], folder, key, data["broker_host"], data["broker_port"])


def enroll(client: httpx.Client, admin_token: str, agent_id: str, office: str, folder: Path) -> FleetIdentity:
    """Enroll one simulated agent through the hub's API (or reuse an earlier enrollment)."""
    existing = load(folder)
    if existing is not None:
        return existing
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    headers = {"Authorization": f"Bearer {admin_token}"}
    response = client.post("/api/v1/enrollment-tokens", json={"office": office, "agent_id": agent_id,
                                                               "expires_in_hours": 1}, headers=headers)
    response.raise_for_status()
    token = response.json()["token"]
    tls_key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, agent_id)]))
           .sign(tls_key, hashes.SHA256()))
    signing_key = SigningKey.generate()
    response = client.post("/api/v1/enroll", json={
        "token": token, "agent_id": agent_id,
        "csr_pem": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "signing_public_key": base64.b64encode(public_raw(signing_key.public_key)).decode()})
    response.raise_for_status()
    answer = response.json()
    _write_private(folder / "client.key", tls_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    _write_private(folder / "signing-key.pem", signing_key.to_pem())
    (folder / "client.crt").write_text(answer["certificate_pem"])
    (folder / "ca.crt").write_text(answer["ca_pem"])
    broker = answer["broker"]
    (folder / "identity.json").write_text(json.dumps({"agent_id": agent_id, "broker_host": broker["host"],
                                                      "broker_port": broker["port"]}))
    return FleetIdentity(agent_id, folder, signing_key, broker["host"], broker["port"])
