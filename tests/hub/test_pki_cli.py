"""`hub broker-config`, `hub up`/`down`, enrollment tokens and agent revocation on a hub configuration file,
with real mosquitto."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from cryptography import x509

from hub.config import load
from hub.pki.ca import CertificateAuthority, PkiPaths, cert_pem, make_csr, parse_csr
from hub.pki.cli import broker_config, down, port_answers, up
from hub.pki.cli_admin import enrollment_token, revoke_agent_command
from hub.pki.enrollment import EnrollmentRequest, enroll
from hub.pki.setup import init_pki
from hub.store.db import Database
from protocol.keys import KeyDirectory, SigningKey, public_raw
from protocol.wire import topics
from tests.support.broker import free_port, have_mosquitto
from tests.support.pki_broker import TlsClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


@pytest.fixture
def hub_config(tmp_path):
    hub_dir = tmp_path / "hub"
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(f'[hub]\ndata_dir = "{hub_dir}"\n[database]\nurl = "sqlite:///{tmp_path}/hub.db"\n\n'
                      f'[broker]\nhost = "counter-hub.local"\nport = {port}\nbind = "127.0.0.1"\n'
                      f'server_names = ["10.1.2.3"]\n')
    return config, hub_dir, port


def test_broker_config_without_init_names_the_missing_files(hub_config):
    config, _hub_dir, _port = hub_config
    result = CliRunner().invoke(broker_config, ["--config", str(config)])
    assert result.exit_code != 0
    assert "ca.pem" in result.output and "counterpay hub init" in result.output


def test_broker_config_writes_tls_only_config_and_acl(hub_config, tmp_path):
    config, hub_dir, port = hub_config
    init_pki(hub_dir, load(config).broker.server_names)
    out = tmp_path / "custom.conf"
    result = CliRunner().invoke(broker_config, ["--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert [line for line in lines if line.startswith("listener")] == [f"listener {port} 127.0.0.1"]
    for expected in ("require_certificate true", "use_identity_as_username true", "set_tcp_nodelay true",
                     "persistence true", "allow_anonymous false", f"crlfile {hub_dir}/pki/crl.pem",
                     f"acl_file {hub_dir}/broker/acl"):
        assert expected in lines
    acl = (hub_dir / "broker" / "acl").read_text().splitlines()
    assert "pattern write cp/v1/agents/%u/events" in acl and "pattern read cp/v1/agents/%u/cmd" in acl
    assert "pattern read cp/v1/agents/%u/roster" in acl
    assert acl[acl.index("user hub") + 1] == "topic readwrite cp/v1/#"
    # The server certificate names the configured hosts besides loopback.
    cert = x509.load_pem_x509_certificate((hub_dir / "pki" / "broker.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "counter-hub.local"} <= set(san.get_values_for_type(x509.DNSName))
    assert {"127.0.0.1", "10.1.2.3"} <= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}


def test_up_background_then_down(hub_config):
    config, hub_dir, port = hub_config
    init_pki(hub_dir, load(config).broker.server_names)
    runner = CliRunner()
    started = runner.invoke(up, ["--config", str(config), "--background"])
    pid_file = hub_dir / "broker" / "mosquitto.pid"
    try:
        assert started.exit_code == 0, started.output
        assert port_answers("127.0.0.1", port)
        assert "already runs" in runner.invoke(up, ["--config", str(config), "--background"]).output

        broker = SimpleNamespace(port=port, ca_cert=hub_dir / "pki" / "ca.pem")
        hub_client = TlsClient(broker, "hub-cli-test", hub_dir / "pki" / "hub.pem", hub_dir / "pki" / "hub.key")
        # The second `up` made the broker re-read its files (SIGHUP): under load a connection may
        # meet it mid-reload, and the client's loop connects again, so it is given time.
        assert hub_client.connect(timeout_s=20), "the hub's own certificate opens the broker that `hub up` started"
        assert hub_client.subscribe("$share/hub/cp/v1/agents/+/events") == [1]
        hub_client.close()
        assert runner.invoke(down, ["--config", str(config)]).exit_code == 0
        assert not pid_file.exists()
        wait_until(lambda: not port_answers("127.0.0.1", port), 5, f"the broker to stop listening on {port}")
    finally:
        if pid_file.exists():   # only the broker this test started
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def _acl_loads(hub_dir) -> int:
    # The one line each ACL load writes at the generated log levels (tests/support/pki_broker.py).
    return (hub_dir / "broker" / "mosquitto.log").read_text(errors="replace").count("does not contain '%c' or '%u'")


def test_up_again_while_the_broker_runs_gives_an_upgraded_site_the_new_acl(hub_config, tmp_path):
    config, hub_dir, port = hub_config
    init_pki(hub_dir, load(config).broker.server_names)
    runner = CliRunner()
    pid_file, acl = hub_dir / "broker" / "mosquitto.pid", hub_dir / "broker" / "acl"
    assert runner.invoke(up, ["--config", str(config), "--background"]).exit_code == 0
    try:
        # The broker of a site upgraded while it ran still holds an ACL without the roster pattern.
        acl.write_text("\n".join(line for line in acl.read_text().splitlines() if not line.endswith("/roster")))
        loads = _acl_loads(hub_dir)
        os.kill(int(pid_file.read_text()), signal.SIGHUP)
        wait_until(lambda: _acl_loads(hub_dir) > loads, 5, "mosquitto to re-read the old ACL")
        broker = SimpleNamespace(port=port, ca_cert=hub_dir / "pki" / "ca.pem")
        hub_client = TlsClient(broker, "hub", hub_dir / "pki" / "hub.pem", hub_dir / "pki" / "hub.key")
        assert hub_client.connect()
        assert hub_client.publish(topics.desk_roster("desk-up-1"), b"roster", retain=True) in (0, 16)
        hub_client.close()
        csr, key = make_csr("desk-up-1")
        cert = CertificateAuthority.load(PkiPaths.under(hub_dir)).issue_client(parse_csr(csr), "desk-up-1")
        (tmp_path / "desk.pem").write_bytes(cert_pem(cert))
        (tmp_path / "desk.key").write_bytes(key)

        def desk_hears_its_roster() -> bool:
            desk = TlsClient(broker, "desk-up-1", tmp_path / "desk.pem", tmp_path / "desk.key")
            assert desk.connect()
            desk.subscribe(topics.desk_roster("desk-up-1"))
            desk.subscribe(topics.state("desk-up-1"))
            desk.publish(topics.state("desk-up-1"), b"marker")     # arrives after any retained roster would
            wait_until(lambda: (topics.state("desk-up-1"), b"marker") in desk.received(), 5, "the desk's marker")
            desk.close()
            return (topics.desk_roster("desk-up-1"), b"roster") in desk.received()

        assert not desk_hears_its_roster()
        loads = _acl_loads(hub_dir)
        again = runner.invoke(up, ["--config", str(config), "--background"])
        assert again.exit_code == 0 and "already runs" in again.output and "re-read" in again.output, again.output
        assert "pattern read cp/v1/agents/%u/roster" in acl.read_text().splitlines()
        wait_until(lambda: _acl_loads(hub_dir) > loads, 5, "mosquitto to re-read the rewritten ACL")
        assert desk_hears_its_roster()
    finally:
        runner.invoke(down, ["--config", str(config)])


def test_up_in_the_foreground_stops_cleanly_on_sigterm(hub_config):
    config, hub_dir, port = hub_config
    init_pki(hub_dir, load(config).broker.server_names)
    process = subprocess.Popen([sys.executable, "-c", "from hub.pki.cli import up; up()", "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def listening() -> bool:
            assert process.poll() is None, process.stderr.read().decode()
            return port_answers("127.0.0.1", port)
        wait_until(listening, 15, f"`hub up` to listen on {port}")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert not port_answers("127.0.0.1", port)
    finally:
        if process.poll() is None:
            process.kill()


def test_technician_flow_token_enroll_revoke_from_the_command_line(tmp_path):
    hub_dir, port = tmp_path / "hub", free_port()
    config = tmp_path / "hub.toml"
    config.write_text(f'[hub]\ndata_dir = "{hub_dir}"\n[database]\nurl = "sqlite:///{tmp_path}/hub.db"\n'
                      f'[mqtt]\ntls = true\nhost = "127.0.0.1"\nport = {port}\nca_file = "hub/pki/ca.pem"\n'
                      f'cert_file = "hub/pki/hub.pem"\nkey_file = "hub/pki/hub.key"\n'
                      f'[broker]\nport = {port}\nbind = "127.0.0.1"\n')
    init_pki(hub_dir, load(config).broker.server_names)
    runner = CliRunner()
    assert runner.invoke(up, ["--config", str(config), "--background"]).exit_code == 0
    pid_file = hub_dir / "broker" / "mosquitto.pid"
    try:
        created = runner.invoke(enrollment_token, ["create", "--config", str(config), "--office", "rome-1"])
        assert created.exit_code == 0, created.output
        token = created.stdout.strip()
        assert token.startswith("cpe_")
        settings = load(config)
        db = Database.open(settings.database_url)
        key = SigningKey.generate()
        with db.begin() as conn:
            enroll(conn, CertificateAuthority.load(PkiPaths.under(hub_dir)), EnrollmentRequest(
                token, "counter-1", make_csr("counter-1")[0].decode(),
                base64.b64encode(public_raw(key.public_key)).decode()))
        listed = runner.invoke(enrollment_token, ["list", "--config", str(config)])
        assert json.loads(listed.stdout.splitlines()[0])["status"] == "used"

        broker = SimpleNamespace(port=port, ca_cert=hub_dir / "pki" / "ca.pem")
        watcher = TlsClient(broker, "hub-watch", hub_dir / "pki" / "hub.pem", hub_dir / "pki" / "hub.key")
        assert watcher.connect()
        watcher.subscribe(topics.KEYS)
        revoked = runner.invoke(revoke_agent_command, ["--config", str(config), "counter-1", "--reason", "stolen"])
        assert revoked.exit_code == 0, revoked.output
        assert "broker reloaded" in revoked.output and "key directory published" in revoked.output
        wait_until(lambda: any(KeyDirectory.from_json(json.loads(p)).get(key.kid).revoked_reason == "stolen"
                               for t, p in watcher.received() if t == topics.KEYS), 5,
                   "the key directory with counter-1's key revoked as stolen")
        watcher.close()
        again = runner.invoke(revoke_agent_command, ["--config", str(config), "ghost", "--reason", "x"])
        assert again.exit_code == 1 and "never enrolled" in again.output
        db.dispose()
    finally:
        runner.invoke(down, ["--config", str(config)])
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def test_init_again_keeps_the_ca_and_reissues_the_broker_certificate_for_a_new_host(hub_config):
    config, hub_dir, port = hub_config
    paths = init_pki(hub_dir, load(config).broker.server_names)
    ca_before, hub_cert_before = paths.ca_cert.read_bytes(), paths.hub_client_cert.read_bytes()
    broker_before = paths.broker_cert.read_bytes()
    init_pki(hub_dir, load(config).broker.server_names)
    assert paths.broker_cert.read_bytes() == broker_before, "nothing changed: nothing re-issued"
    config.write_text(config.read_text().replace('server_names = ["10.1.2.3"]', 'server_names = ["mqtt.office.example"]'))
    init_pki(hub_dir, load(config).broker.server_names)
    assert paths.ca_cert.read_bytes() == ca_before and paths.hub_client_cert.read_bytes() == hub_cert_before
    cert = x509.load_pem_x509_certificate(paths.broker_cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "mqtt.office.example" in san.get_values_for_type(x509.DNSName)
