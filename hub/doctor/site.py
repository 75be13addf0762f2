"""The checks of a site that need its network and database: broker, database, migrations, clock.

Nothing here changes the site: the database is opened without migrating, and the broker
is greeted with a certificate issued in memory for CN ``hub-doctor`` (never a worker's:
the broker takes the client id from the CN, so using a worker's would cut it off).
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from hub.config import Settings
from hub.doctor.verdicts import FAIL, OK, WARN, Verdict
from hub.pki.ca import HUB_DOCTOR_CN as DOCTOR_CN, CertificateAuthority, PkiPaths
from hub.pki.tls import ephemeral_context
from hub.store import migrations
from hub.store.db import Database

TIMEOUT_S = 5.0
SKEW_WARN_S = 2.0
SKEW_FAIL_S = 60.0
"""Ingest stamps times and the CA backdates certificates by 5 minutes; beyond a minute
certificates and sessions start to fail in ways that look like other faults."""


def check_broker(settings: Settings, timeout_s: float = TIMEOUT_S) -> Verdict:
    host, port = settings.mqtt.host, settings.mqtt.port
    try:
        raw = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        return Verdict("broker", FAIL, f"cannot connect to {host}:{port}: {exc.strerror or exc}",
                       "start the broker (systemctl start counterpay-broker) or fix [mqtt] host/port")
    if not settings.mqtt.tls:
        raw.close()
        return Verdict("broker", WARN, f"{host}:{port} answers, without TLS",
                       "set [mqtt] tls = true and run the generated TLS broker (`hub broker-config`)")
    ca_file = settings.mqtt.ca_file or PkiPaths.under(settings.data_dir).ca_cert
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raw.close()
        return Verdict("broker", FAIL, f"cannot read the broker's CA {ca_file}: {exc}", "fix [mqtt] ca_file")
    try:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            version = tls.version()
    except (ssl.SSLError, OSError) as exc:
        return Verdict("broker", FAIL, f"TLS with {host}:{port} failed: {exc}",
                       "the broker's certificate must come from the hub CA and name this host: add it to "
                       "[broker] server_names, run `counterpay hub init` again and restart the broker")
    try:
        ca = CertificateAuthority.load(PkiPaths.under(settings.data_dir))
    except (FileNotFoundError, ValueError):
        return Verdict("broker", OK, f"{host}:{port} answers {version} with a certificate from the hub CA "
                       "(no CA here to test an MQTT login)")
    accepted = _mqtt_login(ca, host, port, timeout_s)
    if accepted is not True:
        return Verdict("broker", FAIL, f"{host}:{port} speaks {version} but refused an MQTT login with a hub CA "
                       f"certificate ({accepted})", "check the broker's log and its cafile/crlfile")
    return Verdict("broker", OK, f"{host}:{port}: {version}, certificate from the hub CA, MQTT login accepted")


def _mqtt_login(ca: CertificateAuthority, host: str, port: int, timeout_s: float):
    answered, outcome = threading.Event(), {}

    def on_connect(_c, _u, _f, reason_code, _p) -> None:
        outcome["rc"] = reason_code
        answered.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=DOCTOR_CN, protocol=mqtt.MQTTv5)
    client.on_connect = on_connect
    try:
        client.tls_set_context(ephemeral_context(ca, DOCTOR_CN, minutes=2))
        client.connect(host, port, keepalive=10, clean_start=True)
    except (OSError, ValueError, ssl.SSLError) as exc:
        return str(exc)
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            return f"no CONNACK within {timeout_s:.0f} s"
        return True if not outcome["rc"].is_failure else str(outcome["rc"])
    finally:
        client.disconnect()
        client.loop_stop()


def open_database(settings: Settings) -> tuple[Database | None, Verdict]:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # Opening it would create an empty one: the doctor changes nothing.
        return None, Verdict("database", FAIL, f"the SQLite file {url.database} does not exist",
                             "run `counterpay hub init`, or fix [database] url")
    try:
        db = Database.open(settings.database_url, migrate=False)
        with db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:   # any driver's error: the verdict says which
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        return None, Verdict("database", FAIL, f"cannot open {_safe_url(settings.database_url)}: {first}",
                             "start PostgreSQL, check [database] url (host, port, user, password) and "
                             "pg_hba.conf on the database server")
    return db, Verdict("database", OK, f"{db.dialect_name} at {_safe_url(settings.database_url)} answers")


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable url>"


def check_migrations(db: Database) -> Verdict:
    latest = migrations.available()[-1]
    with db.connect() as conn:
        try:
            done = set(conn.execute(select(migrations.schema_version.c.version)).scalars())
        except Exception:
            done = set()
    missing = [name for version, name in migrations.available() if version not in done]
    unknown = sorted(done - {v for v, _ in migrations.available()})
    if unknown:
        return Verdict("migrations", FAIL, f"the database has migrations this release does not know: {unknown}",
                       "this code is older than the database: install the release that migrated it")
    if missing:
        return Verdict("migrations", FAIL, f"{len(missing)} of {len(migrations.available())} not applied "
                       f"(first missing {missing[0]})",
                       "stop every hub role, then start one (`hub serve` applies them) or run the upgrade "
                       "steps of docs/deploy.md")
    return Verdict("migrations", OK, f"all {len(done)} applied, latest {latest[1]}")


def check_clock(db: Database, clock=time.time) -> Verdict:
    with db.connect() as conn:
        if db.dialect_name != "postgresql":
            return Verdict("clock", OK, f"{db.dialect_name} runs on this machine: one clock")
        before = clock()
        server = conn.execute(text("SELECT now()")).scalar_one()
        after = clock()
    ours = dt.datetime.fromtimestamp((before + after) / 2, dt.timezone.utc)
    skew = (ours - server).total_seconds()
    found = f"this machine is {skew:+.3f} s from the database server (query took {after - before:.3f} s)"
    if abs(skew) >= SKEW_FAIL_S:
        return Verdict("clock", FAIL, found, "run NTP on both machines (systemd-timesyncd or chrony)")
    if abs(skew) >= SKEW_WARN_S:
        return Verdict("clock", WARN, found, "check NTP on both machines (timedatectl timesync-status)")
    return Verdict("clock", OK, found)
