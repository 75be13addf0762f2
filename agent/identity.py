"""The agent's identity on disk: its Ed25519 signing key and its TLS client certificate.

`counterpay agent enroll` writes into the key directory (0700, files 0600):
    signing_key.pem   Ed25519, signs events and receipts
    client.key        TLS private key;  client.csr  the request sent to the hub
    client.pem        the certificate the hub issued (CN = agent id)
    ca.pem            the hub's CA, to check the broker and the hub API
    key_directory.json  the hub's key directory at enrollment time
    broker.txt        the broker URL the hub gave (used when [hub] broker is not set)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from protocol.keys import KeyProblem, SigningKey

from agent.sync.client import TlsFiles

SIGNING_KEY = "signing_key.pem"
TLS_KEY = "client.key"
TLS_CERT = "client.pem"
TLS_CSR = "client.csr"
CA = "ca.pem"
API_TOKEN = "api_token.txt"     # the hub API credential given at enrollment (role agent: case lookups)


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
