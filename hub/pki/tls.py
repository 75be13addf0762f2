"""The TLS context the hub's own MQTT clients (ingest, delivery, publishers) connect with.

The broker trusts only certificates from the hub CA and maps CN 'hub' to the user with
cp/v1/# in its ACL; `init_pki` wrote that certificate to <data_dir>/pki/hub.pem.

    context = hub_client_context(settings)          # hub.config.Settings
    IngestWorker(hub_context, host=..., port=..., tls=context)
"""

from __future__ import annotations

import ssl
from pathlib import Path

from hub.config import Settings
from hub.pki.ca import PkiPaths


def client_context(ca_file: Path, cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """Verify the broker against `ca_file` and present `cert_file`/`key_file`."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


def hub_client_context(settings: Settings) -> ssl.SSLContext:
    """From hub.config.Settings: its [mqtt] ca/cert/key files, else the PKI files under data_dir.

    The broker certificate names 127.0.0.1, localhost and the configured broker names, so
    host name checking stays on.
    """
    paths = PkiPaths.under(settings.data_dir)
    return client_context(settings.mqtt.ca_file or paths.ca_cert, settings.mqtt.cert_file or paths.hub_client_cert,
                          settings.mqtt.key_file or paths.hub_client_key)
