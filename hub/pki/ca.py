"""The hub's own certificate authority: the root of trust for the MQTT broker.

One CA key (EC P-256) signs three kinds of certificates:

* the broker's server certificate (SAN: 127.0.0.1, localhost and configured names),
* the hub's own client certificates: CN ``hub`` for the first ingest worker, ``hub-<name>``
  for each further one, ``hub-cli`` (issued in memory for one connection) for commands
  run on the hub host; the broker ACL gives every hub identity cp/v1/#,
* each agent's client certificate, issued from the agent's CSR at enrollment; its CN is
  the agent id, which mosquitto (``use_identity_as_username``) makes the broker username
  that the per-agent ACL patterns (``%u``) match.

Revocation is a CRL file the broker reads (``crlfile``).  This module only does the
cryptography and the files; who may get a certificate is decided in enrollment.py.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HUB_CLIENT_CN = "hub"
"""The broker username (and, with ``use_username_as_clientid``, client id) of the first hub worker."""

HUB_IDENTITY_PREFIX = "hub-"
"""Every CN that is ``hub`` or starts with ``hub-`` belongs to the hub: never an agent id."""

HUB_COMMAND_CN = "hub-cli"
"""The identity of one-shot commands on the hub host (`hub revoke-agent` publishing the key
directory): a certificate issued in memory per run, so no command kicks a running worker."""

HUB_DOCTOR_CN = "hub-doctor"
"""The identity `hub doctor` logs in to the broker with (a certificate issued in memory): its
own, so checking a site never throws a running worker or command off the broker."""

EPHEMERAL_MINUTES = 5
"""Life of a certificate issued in memory for one connection (a command, a connection cut)."""

CA_DAYS = 3650
SERVER_DAYS = 825      # the CA/Browser limit; long enough to not surprise an office
CLIENT_DAYS = 825
CRL_DAYS = 3650       # OpenSSL rejects EVERY client once a CRL is past nextUpdate; the file lives
                      # on the broker host and is rewritten on each revocation, so a long life is safe
BACKDATE = dt.timedelta(minutes=5)   # tolerate small clock skew between hub and broker hosts
MIN_RSA_BITS = 2048


class CsrProblem(ValueError):
    """A certificate signing request cannot be accepted; the message says why."""


@dataclass(frozen=True)
class PkiPaths:
    """Where the PKI files live under the hub directory (all PEM)."""

    root: Path

    @classmethod
    def under(cls, hub_dir: Path) -> "PkiPaths":
        return cls(Path(hub_dir) / "pki")

    ca_key = property(lambda self: self.root / "ca.key")
    ca_cert = property(lambda self: self.root / "ca.pem")
    broker_key = property(lambda self: self.root / "broker.key")
    broker_cert = property(lambda self: self.root / "broker.pem")
    hub_client_key = property(lambda self: self.root / "hub.key")
    hub_client_cert = property(lambda self: self.root / "hub.pem")
    crl = property(lambda self: self.root / "crl.pem")

    def worker_cert(self, name: str) -> Path:
        """The certificate of the further hub worker `name` (CN ``hub-<name>``)."""
        return self.root / f"{HUB_IDENTITY_PREFIX}{name}.pem"

    def worker_key(self, name: str) -> Path:
        return self.root / f"{HUB_IDENTITY_PREFIX}{name}.key"


def is_hub_identity(common_name: str) -> bool:
    """True for the names the hub keeps for itself: ``hub`` and the whole ``hub-*`` namespace."""
    return common_name == HUB_CLIENT_CN or common_name.startswith(HUB_IDENTITY_PREFIX)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_public(path: Path, data: bytes) -> None:
    """Write a certificate or CRL, also 0600: the broker runs as the owner (see BrokerSettings.user)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)   # the broker may read the CRL at any moment: never a half file


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def new_client_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_csr(common_name: str, key=None) -> tuple[bytes, bytes]:
    """A CSR for `common_name` → (csr_pem, key_pem).  Used for the hub's own key and in tests."""
    key = key or new_client_key()
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM), key_pem(key)


def parse_csr(csr_pem: str | bytes) -> x509.CertificateSigningRequest:
    """Load and check a CSR: readable PEM, self-signature valid, an acceptable key."""
    data = csr_pem.encode("ascii", "replace") if isinstance(csr_pem, str) else csr_pem
    try:
        csr = x509.load_pem_x509_csr(data)
    except (ValueError, x509.InvalidVersion) as exc:   # InvalidVersion is no ValueError
        raise CsrProblem(f"csr_pem is not a PEM certificate signing request ({exc}); "
                         "send the text that starts with -----BEGIN CERTIFICATE REQUEST-----") from None
    try:
        key = csr.public_key()
        valid = csr.is_signature_valid
    except UnsupportedAlgorithm as exc:   # e.g. a mangled key algorithm OID
        raise CsrProblem(f"the CSR's key is of a kind this hub cannot read ({exc})") from None
    except (InvalidSignature, ValueError):
        valid = False
    if not valid:
        raise CsrProblem("the CSR's signature does not match its public key: it was altered or built wrongly")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise CsrProblem(f"the CSR's RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required")
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)):
        raise CsrProblem(f"the CSR's key type {type(key).__name__} is not accepted; use EC P-256, Ed25519 or RSA")
    return csr


def csr_common_name(csr: x509.CertificateSigningRequest) -> str | None:
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if len(names) == 1 else None


class CertificateAuthority:
    """The CA key and certificate, able to issue certificates and CRLs."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, paths: PkiPaths | None = None):
        self.key = key
        self.cert = cert
        self.paths = paths

    # -- creating and loading -------------------------------------------------------
    @classmethod
    def create(cls, paths: PkiPaths, name: str = "counterpay hub CA") -> "CertificateAuthority":
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "counterpay"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        cert = (x509.CertificateBuilder()
                .subject_name(subject).issuer_name(subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        write_private(paths.ca_key, key_pem(key))
        write_public(paths.ca_cert, cert_pem(cert))
        return cls(key, cert, paths)

    @classmethod
    def load(cls, paths: PkiPaths) -> "CertificateAuthority":
        if not paths.ca_key.exists() or not paths.ca_cert.exists():
            raise FileNotFoundError(f"no hub CA in {paths.root}: run `counterpay hub init` first")
        key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
        return cls(key, cert, paths)

    @classmethod
    def load_or_create(cls, paths: PkiPaths) -> "CertificateAuthority":
        return cls.load(paths) if paths.ca_key.exists() else cls.create(paths)

    @property
    def ca_pem(self) -> bytes:
        return cert_pem(self.cert)

    # -- issuing --------------------------------------------------------------------
    def _builder(self, common_name: str, public_key, lifetime: dt.timedelta) -> x509.CertificateBuilder:
        now = _now()
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
                .issuer_name(self.cert.subject)
                .public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - BACKDATE).not_valid_after(now + lifetime)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                               critical=False))

    def issue_server(self, hosts: Iterable[str], days: int = SERVER_DAYS) -> tuple[bytes, bytes]:
        """A broker certificate for `hosts` (IPs and DNS names) → (cert_pem, key_pem)."""
        names: list[x509.GeneralName] = []
        for host in dict.fromkeys(["127.0.0.1", "localhost", *hosts]):
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        key = new_client_key()
        cert = (self._builder("counterpay broker", key.public_key(), dt.timedelta(days=days))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self.key, hashes.SHA256()))
        return cert_pem(cert), key_pem(key)

    def issue_client(self, csr: x509.CertificateSigningRequest, common_name: str,
                     days: int = CLIENT_DAYS) -> x509.Certificate:
        """A TLS client certificate for the CSR's key with CN `common_name` (checked by the caller)."""
        return (self._builder(common_name, csr.public_key(), dt.timedelta(days=days))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(self.key, hashes.SHA256()))

    def issue_ephemeral(self, common_name: str, minutes: int = EPHEMERAL_MINUTES) -> tuple[bytes, bytes]:
        """A client certificate and key for one connection → (cert_pem, key_pem), never written to disk.

        Its life is `minutes` (plus the clock-skew backdate): stolen from memory it is soon worthless.
        """
        key = new_client_key()
        cert = (self._builder(common_name, key.public_key(), dt.timedelta(minutes=minutes))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(self.key, hashes.SHA256()))
        return cert_pem(cert), key_pem(key)

    def write_crl(self, revoked: Iterable[tuple[int, dt.datetime]], path: Path | None = None,
                  days: int = CRL_DAYS) -> bytes:
        """Write the CRL listing `revoked` (serial, revocation time) and return its PEM."""
        now = _now()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(self.cert.subject)
                   .last_update(now - BACKDATE).next_update(now + dt.timedelta(days=days)))
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
        crl = builder.sign(self.key, hashes.SHA256())
        pem = crl.public_bytes(serialization.Encoding.PEM)
        target = path or (self.paths.crl if self.paths else None)
        if target is not None:
            write_public(target, pem)
        return pem
