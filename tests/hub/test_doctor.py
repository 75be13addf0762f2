"""`counterpay hub doctor`: a verdict per check, each one seen ok, warn and fail where it has them.

Real parts: the generated TLS broker (mosquitto), a plain mosquitto, the hub database on
SQLite and PostgreSQL, certificates from the hub CA; only the disk's free space and the
local clock are given to the checks, as a full disk and a wrong clock cannot be made here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import time

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from hub.cli import hub
from hub.doctor import certificates, disk, site
from hub.doctor.cli import run_checks
from hub.pki.ca import CertificateAuthority, PkiPaths, cert_pem, make_csr, parse_csr
from hub.pki.setup import init_pki
from hub.store import migrations
from hub.store.db import Database
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import iso
from tests.hub.conftest import hub_db  # noqa: F401  (the hub database fixture: SQLite, PostgreSQL)
from tests.hub.config_support import write_config
from tests.support.broker import Mosquitto, have_mosquitto
from tests.support.pki_broker import TlsBroker

needs_broker = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")
SECRET_GROUP = "hub-0123456789abcdef"


def config(tmp_path, url: str, hub_dir, port: int, tls: bool = True, **extra) -> str:
    sections = {"hub": {"data_dir": hub_dir}, "database": {"url": url},
                "mqtt": {"host": "127.0.0.1", "port": port, "tls": tls, "share_group": SECRET_GROUP}}
    if tls:
        sections["mqtt"]["ca_file"] = PkiPaths.under(hub_dir).ca_cert
    for section, keys in extra.items():
        sections.setdefault(section, {}).update(keys)
    return str(write_config(tmp_path / "etc" / "hub.toml", sections))


def by_check(verdicts) -> dict:
    return {v.check: v for v in verdicts}


@pytest.fixture
def broker(tmp_path):
    broker = TlsBroker(tmp_path / "hub").start()
    yield broker
    broker.stop()


@needs_broker
def test_a_healthy_site_is_ok_everywhere_and_exits_0(tmp_path, hub_db, broker):  # noqa: F811
    path = config(tmp_path, hub_db.url, broker.hub_dir, broker.port)
    result = CliRunner().invoke(hub, ["doctor", "--config", path, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    verdicts = {c["check"]: c["verdict"] for c in document["checks"]}
    assert verdicts == {"configuration": "ok", "broker": "ok", "database": "ok", "certificates": "ok",
                        "migrations": "ok", "agent certificates": "ok", "clock": "ok", "disk": "ok"}
    assert document["verdict"] == "ok"
    assert "MQTT login accepted" in by_check(run_checks(path))["broker"].found


def test_a_missing_or_broken_configuration_fails_and_stops_there(tmp_path):
    assert [v.verdict for v in run_checks(str(tmp_path / "none.toml"))] == ["fail"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[database\nurl = 1\n")
    result = CliRunner().invoke(hub, ["doctor", "--config", str(bad)])
    assert result.exit_code == 1 and "FAIL configuration" in result.output and "not valid TOML" in result.output


def test_the_well_known_share_group_warns(tmp_path):
    path = write_config(tmp_path / "hub.toml", {"database": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}})
    assert by_check(run_checks(str(path)))["configuration"].verdict == "warn"


def test_an_unreachable_broker_fails_with_what_to_do(tmp_path, hub_db):  # noqa: F811
    init_pki(tmp_path / "hub")
    from tests.support.broker import free_port
    verdict = by_check(run_checks(config(tmp_path, hub_db.url, tmp_path / "hub", free_port())))["broker"]
    assert verdict.verdict == "fail" and "cannot connect" in verdict.found and "start the broker" in verdict.action


@needs_broker
def test_a_plain_broker_warns(tmp_path, hub_db):  # noqa: F811
    plain = Mosquitto(tmp_path / "plain").start()
    try:
        init_pki(tmp_path / "hub")
        verdict = site.check_broker(_settings(config(tmp_path, hub_db.url, tmp_path / "hub", plain.port, tls=False)))
    finally:
        plain.stop()
    assert verdict.verdict == "warn" and "without TLS" in verdict.found


@needs_broker
def test_a_broker_whose_certificate_is_not_from_the_hub_ca_fails(tmp_path, hub_db, broker):  # noqa: F811
    other = tmp_path / "other"
    init_pki(other)                       # another CA: the broker's certificate cannot be checked with it
    path = config(tmp_path, hub_db.url, other, broker.port)
    verdict = by_check(run_checks(path))["broker"]
    assert verdict.verdict == "fail" and "TLS" in verdict.found


def test_an_unreachable_database_fails(tmp_path):
    init_pki(tmp_path / "hub")
    path = config(tmp_path, "postgresql+psycopg://nobody:secret@127.0.0.1:1/none", tmp_path / "hub", 1)
    verdicts = by_check(run_checks(path))
    assert verdicts["database"].verdict == "fail" and "secret" not in verdicts["database"].found
    assert "migrations" not in verdicts       # nothing to look at without the database


def test_migrations_not_applied_fail(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database.open(url, migrate=False)
    with db.begin() as conn:
        migrations.apply(conn, through=10)
    verdict = site.check_migrations(db)
    db.dispose()
    assert verdict.verdict == "fail" and "not applied" in verdict.found and "0011" in verdict.found


def test_migrations_applied_are_ok(hub_db):  # noqa: F811
    assert site.check_migrations(hub_db).verdict == "ok"


@pytest.mark.postgres
def test_clock_skew_against_the_database_server(hub_db):  # noqa: F811
    if hub_db.dialect_name != "postgresql":
        pytest.skip("SQLite has no server clock")
    assert site.check_clock(hub_db).verdict == "ok"
    assert site.check_clock(hub_db, clock=lambda: time.time() + 10).verdict == "warn"
    fail = site.check_clock(hub_db, clock=lambda: time.time() - 120)
    assert fail.verdict == "fail" and "-1" in fail.found and "NTP" in fail.action


def _replace_broker_cert(hub_dir, days_left: float) -> None:
    paths = PkiPaths.under(hub_dir)
    ca = CertificateAuthority.load(paths)
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "b")]))
            .issuer_name(ca.cert.subject).public_key(ca.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=400)).not_valid_after(now + dt.timedelta(days=days_left))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca.key, hashes.SHA256()))
    paths.broker_cert.write_bytes(cert_pem(cert))


@pytest.mark.parametrize("days_left, expected", [(400, "ok"), (10, "warn"), (-1, "fail")])
def test_broker_certificate_expiry(tmp_path, days_left, expected):
    init_pki(tmp_path / "hub")
    _replace_broker_cert(tmp_path / "hub", days_left)
    settings = _settings(config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "hub", 1))
    assert certificates.check_files(settings).verdict == expected


def test_a_broker_certificate_without_the_configured_name_fails(tmp_path):
    init_pki(tmp_path / "hub")               # loopback names only
    path = config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "hub", 1,
                  broker={"host": "hub.example.org"})
    verdict = certificates.check_files(_settings(path))
    assert verdict.verdict == "fail" and "hub.example.org" in verdict.found and "hub init" in verdict.action
    init_pki(tmp_path / "hub", ["hub.example.org"])     # what `hub init` does once the name is configured
    assert certificates.check_files(_settings(path)).verdict == "ok"


def _agent_cert(db, ca, agent: str, used_days: int, left_days: int, revoked: bool = False) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    cert = ca.issue_client(parse_csr(make_csr(agent)[0]), agent)
    with db.begin() as conn:
        conn.execute(agent_certificates.insert().values(
            serial=format(cert.serial_number, "x"), agent_id=agent, office="o", certificate_pem="x",
            issued_at=iso(now - dt.timedelta(days=used_days)), not_after=iso(now + dt.timedelta(days=left_days)),
            revoked_at=iso(now) if revoked else None))


def test_agent_certificates_near_expiry_warn_and_expired_fail(tmp_path, hub_db):  # noqa: F811
    ca = CertificateAuthority.create(PkiPaths(tmp_path / "pki"))
    _agent_cert(hub_db, ca, "fresh-1", 10, 800)
    _agent_cert(hub_db, ca, "gone-1", 10, -5, revoked=True)      # revoked: not this check's business
    assert certificates.check_agents(hub_db).verdict == "ok"
    _agent_cert(hub_db, ca, "late-1", 700, 100)                    # less than a third left: did not renew
    late = certificates.check_agents(hub_db)
    assert late.verdict == "warn" and "late-1" in late.found and "fresh-1" not in late.found
    _agent_cert(hub_db, ca, "late-1", 1, 824)                      # renewed: its newest one counts
    assert certificates.check_agents(hub_db).verdict == "ok"
    _agent_cert(hub_db, ca, "dead-1", 825, -1)
    dead = certificates.check_agents(hub_db)
    assert dead.verdict == "fail" and "dead-1" in dead.found and "enroll" in dead.action


@pytest.mark.parametrize("free, expected", [(50 << 30, "ok"), (5 << 30, "warn"), (100 << 20, "fail")])
def test_disk_space(tmp_path, free, expected):
    settings = _settings(config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}", tmp_path, 1))
    verdict = disk.check_disk(settings, usage=lambda _folder: (100 << 30, (100 << 30) - free, free))
    assert verdict.verdict == expected
    assert str(tmp_path) in verdict.found


def test_the_real_disk_is_measured(tmp_path):
    settings = _settings(config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}", tmp_path, 1))
    assert "GiB free" in disk.check_disk(settings).found


def _settings(path: str):
    from hub.config import load
    return load(path)


def test_no_worker_may_take_the_doctors_name(tmp_path):
    """The doctor logs in as hub-doctor; a worker of that name would be thrown off by every check."""
    from hub.pki.setup import issue_worker_cert
    init_pki(tmp_path / "hub")
    with pytest.raises(ValueError, match="doctor"):
        issue_worker_cert(tmp_path / "hub", "doctor")
    assert issue_worker_cert(tmp_path / "hub", "doctor-2")[0] == "hub-doctor-2"
