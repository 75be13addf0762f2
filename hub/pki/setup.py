"""`hub init`'s PKI step: the CA, the broker's certificate, the hub's own client certificates.

Idempotent: what exists is kept (re-running init must never replace the CA, which would
orphan every enrolled agent's certificate); only what is missing is created, and the
broker certificate is re-issued when the configuration names a host it lacks (agents
check the broker's name; restart the broker afterwards).  The CRL is
always rewritten empty-or-current by revocation, and created empty here because
mosquitto refuses to start when its ``crlfile`` is missing.

The first hub worker's certificate (CN ``hub``) is made here; each further worker gets
one of its own (`issue_worker_cert`, CN ``hub-<name>``), because the broker takes the
client id from the CN and two connections under one id throw each other out.  The
broker ACL names every hub identity found here (`hub_identities`).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

from hub.pki.ca import (HUB_CLIENT_CN, HUB_COMMAND_CN, HUB_DOCTOR_CN, HUB_IDENTITY_PREFIX, CertificateAuthority, PkiPaths,
                        is_hub_identity, write_private, write_public, cert_pem, make_csr, parse_csr)

WORKER_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,40}$")


def broker_cert_lacks(paths: PkiPaths, names) -> list[str]:
    """The configured host names / addresses the existing broker certificate does not cover."""
    cert = x509.load_pem_x509_certificate(paths.broker_cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(san.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    missing = []
    for name in names:
        try:
            covered = str(ipaddress.ip_address(name)) in ips
        except ValueError:
            covered = name in dns
        if not covered:
            missing.append(name)
    return missing


def init_pki(hub_dir: Path, server_names: Iterable[str] = ()) -> PkiPaths:
    """Create whatever of the hub PKI is missing under `hub_dir`/pki and return the paths.

    `server_names`: the broker's host names and addresses (`[broker]` host and server_names)
    for its certificate, which always names loopback too.
    """
    hub_dir = Path(hub_dir)
    server_names = list(server_names)
    paths = PkiPaths.under(hub_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o700)
    ca = CertificateAuthority.load_or_create(paths)
    if (not paths.broker_cert.exists() or not paths.broker_key.exists()
            or broker_cert_lacks(paths, server_names)):
        cert, key = ca.issue_server(server_names)
        write_private(paths.broker_key, key)
        write_public(paths.broker_cert, cert)
    if not paths.hub_client_cert.exists() or not paths.hub_client_key.exists():
        _issue_hub_client(ca, HUB_CLIENT_CN, paths.hub_client_cert, paths.hub_client_key)
    if not paths.crl.exists():
        ca.write_crl([])
    return paths


def _issue_hub_client(ca: CertificateAuthority, common_name: str, cert_path: Path, key_path: Path) -> None:
    csr_pem, key = make_csr(common_name)
    write_private(key_path, key)
    write_public(cert_path, cert_pem(ca.issue_client(parse_csr(csr_pem), common_name)))


def issue_worker_cert(hub_dir: Path, name: str) -> tuple[str, Path, Path]:
    """The certificate of a further hub worker → (its CN ``hub-<name>``, cert file, key file).

    An existing one is kept (running the command twice must not cut a worker that uses it).
    """
    if not WORKER_NAME_RE.match(name or "") or f"{HUB_IDENTITY_PREFIX}{name}" in (HUB_COMMAND_CN, HUB_DOCTOR_CN):
        raise ValueError(f"worker name {name!r}: use 1-41 lower-case letters, digits, '.', '_' or '-' "
                         f"(not {HUB_COMMAND_CN.removeprefix(HUB_IDENTITY_PREFIX)!r} or "
                         f"{HUB_DOCTOR_CN.removeprefix(HUB_IDENTITY_PREFIX)!r}, which commands use)")
    paths = PkiPaths.under(hub_dir)
    ca = CertificateAuthority.load(paths)
    common_name = f"{HUB_IDENTITY_PREFIX}{name}"
    cert_path, key_path = paths.worker_cert(name), paths.worker_key(name)
    if not cert_path.exists() or not key_path.exists():
        _issue_hub_client(ca, common_name, cert_path, key_path)
    return common_name, cert_path, key_path


def hub_identities(paths: PkiPaths) -> list[str]:
    """Every broker identity of the hub: ``hub``, ``hub-cli`` and the CN of each worker certificate issued."""
    names = {HUB_CLIENT_CN, HUB_COMMAND_CN}
    for cert_path in sorted(paths.root.glob(f"{HUB_IDENTITY_PREFIX}*.pem")) if paths.root.exists() else ():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        names.update(str(attribute.value) for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
                     if is_hub_identity(str(attribute.value)))
    return sorted(names)
