"""The TLS contexts the hub's own MQTT clients (ingest, delivery, publishers) connect with.

The broker trusts only certificates from the hub CA and maps CN 'hub' to the user with
cp/v1/# in its ACL; `init_pki` wrote that certificate to <data_dir>/pki/hub.pem.  The
broker takes a client's id from its CN too, so two connections with one certificate
throw each other out: each worker has a certificate of its own (`hub worker-cert`), and a
one-shot connection gets one issued in memory (`ephemeral_context`).

    context = hub_client_context(settings)          # hub.config.Settings
    IngestWorker(hub_context, host=..., port=..., tls=context)
"""

from __future__ import annotations

import os
import ssl
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hub.config import Settings
from hub.pki.ca import EPHEMERAL_MINUTES, CertificateAuthority, PkiPaths


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


@contextmanager
def _memory_file(data: bytes) -> Iterator[str]:
    """A path to `data` that never touches a disk (a memfd on Linux; else a 0700 temp folder, removed at once)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("counterpay-ephemeral", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "credential.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        yield str(path)


def ephemeral_context(ca: CertificateAuthority, common_name: str, minutes: int = EPHEMERAL_MINUTES) -> ssl.SSLContext:
    """A client context presenting a fresh certificate for `common_name`, valid `minutes`, held in memory only."""
    cert, key = ca.issue_ephemeral(common_name, minutes)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=ca.ca_pem.decode("ascii"))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with _memory_file(cert) as cert_path, _memory_file(key) as key_path:
        context.load_cert_chain(cert_path, key_path)
    return context
