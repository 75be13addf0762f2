"""`counterpay hub init`: a working hub directory in one step, safe to run again.

Creates (only what is missing): the configuration TOML, the database with every
migration, the hub's order and event signing keys (files 0600), the first admin API
token (printed once, stored hashed), the first console user `admin` with a random
password (printed once, stored as an Argon2 hash) and the PKI (hub.pki.setup.init_pki).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import select

from protocol.keys import SigningKey
from hub import config as hub_config
from hub.api.security import create_token
from hub.context import load_signing_key
from hub.pki import keydir
from hub.pki.setup import init_pki
from hub.store.db import Database
from hub.store.tables import api_tokens
from hub.store.tables_users import users
from hub.users import service as user_service

FIRST_ADMIN = "admin"

def default_config(hub_dir: Path, database_url: str | None, tls: bool) -> str:
    url = database_url or f"sqlite:///{hub_dir / 'hub.db'}"
    lines = ["# counterpay hub configuration (see hub/config.py for every key)",
             "[hub]", f'data_dir = "{hub_dir}"', "",
             "[database]", f'url = "{url}"', "",
             "[mqtt]", 'host = "127.0.0.1"', f"port = {8883 if tls else 1883}", f"tls = {'true' if tls else 'false'}",
             'client_id = "hub-1"',
             f'share_group = "hub-{secrets.token_hex(8)}"   # a site secret: the same for every worker, never shown to agents',
             *(['ca_file = "pki/ca.pem"', 'cert_file = "pki/hub.pem"', 'key_file = "pki/hub.key"'] if tls else []), "",
             "[api]", 'host = "127.0.0.1"', "port = 8080", "",
             "[keys]", 'order_key = "keys/order.pem"', 'event_key = "keys/event.pem"', "",
             "[orders]", 'currency = "EUR"', 'creditor_fiscal_code = ""   # the office\'s 11-digit fiscal code, to issue pagoPA notices', 'segregation_code = "01"', ""]
    return "\n".join(lines)


def _write_key(path: Path) -> bool:
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(SigningKey.generate().to_pem())
    return True


def init_hub(hub_dir: Path, database_url: str | None = None) -> list[str]:
    """Returns lines to show the person running init (the admin token among them)."""
    hub_dir = hub_dir.resolve()
    # The folder holds the database, keys and the configuration (its share group is a
    # secret, its database URL may hold a password): its owner's only.
    hub_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    hub_dir.chmod(0o700)
    report: list[str] = []
    config_path = hub_dir / "hub.toml"
    if not config_path.exists():
        descriptor = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(default_config(hub_dir, database_url, tls=True))
        report.append(f"wrote {config_path}")
    settings = hub_config.load(config_path)
    for key_file in (settings.order_key_file, settings.event_key_file):
        if key_file and _write_key(key_file):
            report.append(f"created signing key {key_file} (0600)")
    database = Database.open(settings.database_url)
    try:
        with database.begin() as conn:
            has_admin = conn.execute(select(api_tokens.c.id).where(api_tokens.c.role == "admin",
                                                                   api_tokens.c.revoked_at.is_(None))).first()
            if not has_admin:
                token, _ = create_token(conn, "first admin", "admin", "hub init")
                report.append(f"first admin API token (shown only now, keep it safe): {token}")
            if not conn.execute(select(users.c.id).where(users.c.role == "admin")).first():
                password = secrets.token_urlsafe(18)
                user_service.create(conn, FIRST_ADMIN, password, "admin", None, "hub init")
                report += [f"first admin login (password shown only now, keep it safe): "
                           f"http://{settings.api_host}:{settings.api_port}/login",
                           f"  username: {FIRST_ADMIN}", f"  password: {password}"]
            if settings.order_key_file and settings.event_key_file:
                keydir.ensure_hub_keys(conn, [load_signing_key(settings.order_key_file).public_entry("hub", ["order"]),
                                              load_signing_key(settings.event_key_file).public_entry("hub", ["event"])])
    finally:
        database.dispose()
    paths = init_pki(hub_dir, settings.broker.server_names)
    report.append(f"PKI ready in {paths.root}")
    return report
