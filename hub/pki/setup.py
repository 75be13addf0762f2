"""`hub init`'s PKI step: the CA, the broker's certificate, the hub's own client certificate.

Idempotent: what exists is kept (re-running init must never replace the CA, which would
orphan every enrolled agent's certificate); only what is missing is created, and the
broker certificate is re-issued when the configuration names a host it lacks (agents
check the broker's name; restart the broker afterwards).  The CRL is
always rewritten empty-or-current by revocation, and created empty here because
mosquitto refuses to start when its ``crlfile`` is missing.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Iterable

from cryptography import x509

from hub.pki.ca import (HUB_CLIENT_CN, CertificateAuthority, PkiPaths, write_private, write_public, cert_pem,
                        make_csr, parse_csr)


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
        csr_pem, key = make_csr(HUB_CLIENT_CN)
        write_private(paths.hub_client_key, key)
        write_public(paths.hub_client_cert, cert_pem(ca.issue_client(parse_csr(csr_pem), HUB_CLIENT_CN)))
    if not paths.crl.exists():
        ca.write_crl([])
    return paths
