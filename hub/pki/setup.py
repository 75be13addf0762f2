"""`hub init`'s PKI step: the CA, the broker's certificate, the hub's own client certificate.

Idempotent: what exists is kept (re-running init must never replace the CA, which would
orphan every enrolled agent's certificate); only what is missing is created.  The CRL is
always rewritten empty-or-current by revocation, and created empty here because
mosquitto refuses to start when its ``crlfile`` is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.pki.ca import HUB_CLIENT_CN, CertificateAuthority, PkiPaths, _write_private, _write_public, make_csr, parse_csr, cert_pem
from hub.pki.settings import BrokerSettings

def init_pki(hub_dir: Path, config: Any = None) -> PkiPaths:
    """Create whatever of the hub PKI is missing under `hub_dir`/pki and return the paths.

    `config`: the hub configuration (path, mapping or object; see settings.py) for the
    broker host names that go into the server certificate; None means loopback only.
    """
    hub_dir = Path(hub_dir)
    settings = (BrokerSettings.from_config(config, default_dir=hub_dir) if config is not None
                else BrokerSettings(hub_dir=hub_dir))
    paths = PkiPaths.under(hub_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o700)
    ca = CertificateAuthority.load_or_create(paths)
    if not paths.broker_cert.exists() or not paths.broker_key.exists():
        cert, key = ca.issue_server(settings.server_names)
        _write_private(paths.broker_key, key)
        _write_public(paths.broker_cert, cert)
    if not paths.hub_client_cert.exists() or not paths.hub_client_key.exists():
        csr_pem, key = make_csr(HUB_CLIENT_CN)
        _write_private(paths.hub_client_key, key)
        _write_public(paths.hub_client_cert, cert_pem(ca.issue_client(parse_csr(csr_pem), HUB_CLIENT_CN)))
    if not paths.crl.exists():
        ca.write_crl([])
    return paths
