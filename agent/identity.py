"""The agent's identity on disk: its Ed25519 signing key and its TLS client certificate.

`counterpay agent enroll` writes into the key directory (0700, files 0600):
    signing_key.pem   Ed25519, signs events and receipts
    client.key        TLS private key;  client.csr  the request sent to the hub
    client.pem        the certificate the hub issued (CN = agent id)
    ca.pem            the hub's CA, to check the broker and the hub API
    key_directory.json  the hub's key directory at enrollment time
    broker.txt        the broker URL the hub gave (used when [hub] broker is not set)
    client.{key,pem}.next / .old   a renewed pair being tried / the pair before it (agent/renewal.py)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from protocol.keys import KeyProblem, SigningKey

from agent.sync.client import TlsFiles

SIGNING_KEY = "signing_key.pem"
TLS_KEY = "client.key"
TLS_CERT = "client.pem"
TLS_CSR = "client.csr"
CA = "ca.pem"
API_TOKEN = "api_token.txt"     # the hub API credential given at enrollment (role agent: case lookups)
NEXT = ".next"                  # suffix of a renewed key/certificate not yet proven with the broker
OLD = ".old"                    # suffix of the pair a renewal replaced

log = logging.getLogger("counterpay.agent.identity")


def write_private(path: Path, data: bytes) -> None:
    """Write a 0600 file through a temporary file, fsync and rename: a crash never leaves half a key."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def pair_matches(cert_path: Path, key_path: Path) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return False
    return public_der(cert.public_key()) == public_der(key.public_key())


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def settle(key_dir: Path) -> None:
    """Finish a swap a crash interrupted: the new key is in place, its certificate still staged."""
    key_dir = Path(key_dir)
    key, cert = key_dir / TLS_KEY, key_dir / TLS_CERT
    staged_cert, staged_key = key_dir / (TLS_CERT + NEXT), key_dir / (TLS_KEY + NEXT)
    if staged_cert.exists() and not staged_key.exists() and pair_matches(staged_cert, key):
        os.replace(staged_cert, cert)
        fsync_dir(key_dir)
        log.info("finished the certificate swap a restart interrupted")


class IdentityError(RuntimeError):
    """The agent's keys are missing or unreadable; the message says what to do."""


@dataclass
class Identity:
    key_dir: Path
    signing_key: SigningKey

    def tls_files(self) -> TlsFiles | None:
        files = [self.key_dir / CA, self.key_dir / TLS_CERT, self.key_dir / TLS_KEY]
        if all(f.exists() for f in files):
            return TlsFiles(*(str(f) for f in files))
        return None


    def api_token(self) -> str | None:
        """The hub API token from enrollment (api_token.txt), if any."""
        try:
            return (self.key_dir / API_TOKEN).read_text(encoding="ascii").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def enrolled_broker(self) -> str | None:
        """The broker URL the hub gave at enrollment (broker.txt), if any."""
        try:
            text = (self.key_dir / "broker.txt").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text or None


def load_identity(key_dir: Path) -> Identity:
    path = Path(key_dir) / SIGNING_KEY
    if path.parent.is_dir():
        settle(path.parent)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise IdentityError(f"no signing key at {path}: run `counterpay agent enroll --hub URL --token T "
                            f"--agent-id ID --dir {key_dir}` first") from None
    except OSError as exc:
        raise IdentityError(f"cannot read the signing key {path}: {exc.strerror or exc}") from None
    try:
        return Identity(Path(key_dir), SigningKey.from_pem(pem))
    except KeyProblem as exc:
        raise IdentityError(f"{path}: {exc}") from None
