"""Every documented setting of the hub configuration changes what `hub serve` does.

Each test writes a configuration file, loads it, and checks the setting on the part
`hub serve` builds from it (`hub.serve.build_ingest`, `build_server`, the context `serve`
opens) or, for the [broker] section, on what `hub init` and `hub broker-config` make;
[delivery] is in test_config_delivery.py.  The values differ from the defaults, so a
setting dropped on the way fails its test.  Real parts: mosquitto, TLS, SQLite files,
HTTP over loopback.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from cryptography import x509
from fastapi.testclient import TestClient

from protocol.keys import KeyDirectory, SigningKey, public_raw
from hub import serve
from hub.api.security import create_token
from hub.config import Settings
from hub.pki.ca import CertificateAuthority, PkiPaths, make_csr
from hub.pki.cli import broker_config
from hub.pki.enrollment import create_token as create_enrollment_token
from hub.pki.setup import init_pki
from hub.setup import init_hub
from hub.store.db import Database
from tests.hub.config_support import settings_for, write_config
from tests.support.broker import Mosquitto, free_port, have_mosquitto
from tests.support.pki_broker import TlsBroker

needs_mosquitto = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def api_of(settings: Settings):
    """A client of the application `hub serve` would run for `settings`, with an admin token."""
    context = serve.context_from_settings(settings)
    with context.db.begin() as conn:
        token, _ = create_token(conn, "admin", "admin", "test")
    client = TestClient(serve.build_server(settings, context).config.app)
    client.headers.update(_auth(token))
    client.hub = context
    try:
        yield client
    finally:
        context.db.dispose()


# -- [database], [keys], [orders]: the API that serve runs --------------------------------------

def test_database_url_is_the_database_the_api_reads(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'office.db'}"
    database = Database.open(url)
    with database.begin() as conn:
        token, _ = create_token(conn, "seeded", "auditor", "test")
    database.dispose()
    settings = settings_for(tmp_path, database={"url": url})
    context = serve.context_from_settings(settings)
    client = TestClient(serve.build_server(settings, context).config.app)
    assert client.get("/api/v1/agents", headers=_auth(token)).status_code == 200
    context.db.dispose()


def _key_file(path: Path) -> SigningKey:
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.to_pem())
    return key


@pytest.mark.parametrize("key_name, use", [("order_key", "order"), ("event_key", "event")])
def test_keys_are_the_keys_the_hub_signs_with_and_publishes(tmp_path, key_name, use):
    key = _key_file(tmp_path / "etc" / "keys" / f"{use}.pem")
    settings = settings_for(tmp_path, keys={key_name: f"keys/{use}.pem"})
    with api_of(settings) as client:
        directory = KeyDirectory.from_json(client.get("/api/v1/keys").json())
    entry = directory.get(key.kid)
    assert entry is not None and entry.owner == "hub" and use in entry.uses


def _import_one_order(client: TestClient) -> dict:
    imported = client.post("/api/v1/orders/import", content=b"case_ref,amount\nCASE-CFG-1,12.50\n",
                           headers={"Content-Type": "text/csv"})
    assert imported.status_code == 201, imported.text
    return client.get(f"/api/v1/orders/{imported.json()['orders'][0]['order_id']}").json()


def test_orders_currency_is_the_currency_of_imported_orders_that_name_none(tmp_path):
    with api_of(settings_for(tmp_path, orders={"currency": "CHF"})) as client:
        order = _import_one_order(client)
    assert (order["currency"], order["amount_minor"]) == ("CHF", 1250)


def test_orders_creditor_fiscal_code_lets_the_hub_issue_pagopa_notices(tmp_path):
    body = {"amount_minor": 1000, "reference_format": "pagopa", "case_ref": "CASE-PA-1"}
    with api_of(settings_for(tmp_path / "with", orders={"creditor_fiscal_code": "00311260095"})) as client:
        assert client.post("/api/v1/orders", json=body).status_code == 201
    with api_of(settings_for(tmp_path / "without")) as client:
        refused = client.post("/api/v1/orders", json=body)
    assert refused.status_code >= 400 and "creditor_fiscal_code" in refused.text


def test_orders_segregation_code_starts_every_pagopa_notice(tmp_path):
    settings = settings_for(tmp_path, orders={"creditor_fiscal_code": "00311260095", "segregation_code": "42"})
    with api_of(settings) as client:
        created = client.post("/api/v1/orders", json={"amount_minor": 1000, "reference_format": "pagopa"})
    assert created.status_code == 201, created.text
    notice = re.sub(r"\D", "", created.json()["reference"])
    assert notice[:3] == "342"          # auxiliary digit 3, then the segregation code


# -- [api]: where serve listens ------------------------------------------------------------------

@contextmanager
def serving(settings: Settings):
    context = serve.context_from_settings(settings)
    server = serve.build_server(settings, context)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert server.started, "uvicorn did not start"
        yield
    finally:
        server.should_exit = True
        thread.join(10)
        context.db.dispose()


def test_api_port_is_where_serve_listens(tmp_path):
    port = free_port()
    with serving(settings_for(tmp_path, api={"port": port})):
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=30).status_code == 200


def test_api_host_is_the_address_serve_listens_on(tmp_path):
    port = free_port()
    with serving(settings_for(tmp_path, api={"host": "127.0.0.2", "port": port})):
        assert httpx.get(f"http://127.0.0.2:{port}/openapi.json", timeout=30).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=30)


def test_api_metrics_access_loopback_lets_this_machine_scrape_without_a_token(tmp_path):
    port = free_port()
    with serving(settings_for(tmp_path, api={"port": port})):
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).status_code == 401
    port = free_port()
    with serving(settings_for(tmp_path, api={"port": port, "metrics_access": "loopback"})):
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).status_code == 200


# -- [mqtt], [hub] data_dir: the ingest worker serve starts --------------------------------------

@contextmanager
def ingest_of(settings: Settings, wait_s: float = 10.0):
    context = serve.context_from_settings(settings)
    ingest = serve.build_ingest(settings, context).start(wait_s=wait_s)
    try:
        yield ingest
    finally:
        ingest.stop()
        context.db.dispose()


@pytest.fixture(scope="module")
def plain_broker(tmp_path_factory):
    """mosquitto on 127.0.0.1 and, on another port, on 127.0.0.2 only; it logs the id of every client."""
    broker = Mosquitto(tmp_path_factory.mktemp("plain-broker"))
    broker.second_port = free_port()
    broker.config_path.write_text(broker.default_config() + f"listener {broker.second_port} 127.0.0.2\n"
                                  "log_type notice\nconnection_messages true\n")
    yield broker.start()
    broker.stop()


@needs_mosquitto
def test_mqtt_port_is_where_ingest_connects(tmp_path, plain_broker):
    with ingest_of(settings_for(tmp_path, mqtt={"port": plain_broker.port})) as ingest:
        assert ingest.subscribed.is_set()


@needs_mosquitto
def test_mqtt_host_is_where_ingest_connects(tmp_path, plain_broker):
    with ingest_of(settings_for(tmp_path, mqtt={"host": "127.0.0.2", "port": plain_broker.second_port})) as ingest:
        assert ingest.subscribed.is_set()


@needs_mosquitto
def test_mqtt_client_id_is_the_id_the_broker_sees(tmp_path, plain_broker):
    client_id = f"hub-cfg-{uuid.uuid4().hex[:8]}"
    with ingest_of(settings_for(tmp_path, mqtt={"port": plain_broker.port, "client_id": client_id})) as ingest:
        assert ingest.subscribed.is_set()
        deadline = time.monotonic() + 5
        while f" as {client_id} " not in plain_broker.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert f" as {client_id} " in plain_broker.log_path.read_text()


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory):
    if not have_mosquitto():
        pytest.skip("mosquitto is not installed")
    broker = TlsBroker(tmp_path_factory.mktemp("tls-broker") / "hub").start()
    yield broker
    broker.stop()


def test_mqtt_tls_with_ca_file_opens_the_tls_only_broker(tmp_path, tls_broker):
    mqtt = {"tls": True, "port": tls_broker.port, "ca_file": tls_broker.paths.ca_cert}
    with ingest_of(settings_for(tmp_path, hub={"data_dir": tls_broker.hub_dir}, mqtt=mqtt)) as ingest:
        assert ingest.subscribed.is_set()


def test_mqtt_ca_file_is_the_only_ca_the_hub_trusts(tmp_path, tls_broker):
    other = PkiPaths.under(tmp_path / "other")
    other.root.mkdir(parents=True)
    CertificateAuthority.load_or_create(other)
    mqtt = {"tls": True, "port": tls_broker.port, "ca_file": other.ca_cert}
    with ingest_of(settings_for(tmp_path, hub={"data_dir": tls_broker.hub_dir}, mqtt=mqtt), wait_s=3) as ingest:
        assert not ingest.subscribed.is_set(), "a broker certificate from another CA must not be trusted"


def test_mqtt_cert_file_and_key_file_are_what_the_hub_presents(tmp_path, tls_broker):
    pki = tls_broker.paths
    mqtt = {"tls": True, "port": tls_broker.port, "ca_file": pki.ca_cert, "cert_file": pki.hub_client_cert,
            "key_file": pki.hub_client_key}
    # data_dir holds no PKI: only the configured files can open the broker.
    with ingest_of(settings_for(tmp_path, hub={"data_dir": tmp_path / "empty"}, mqtt=mqtt)) as ingest:
        assert ingest.subscribed.is_set()


def test_hub_data_dir_is_where_the_hub_finds_its_client_certificate(tmp_path, tls_broker):
    mqtt = {"tls": True, "port": tls_broker.port, "ca_file": tls_broker.paths.ca_cert}
    with ingest_of(settings_for(tmp_path, hub={"data_dir": tls_broker.hub_dir}, mqtt=mqtt)) as ingest:
        assert ingest.subscribed.is_set()
    with pytest.raises(FileNotFoundError):      # the config file's own folder has no pki/hub.pem
        serve.tls_context(settings_for(tmp_path, mqtt=mqtt))


# -- [broker]: the enrollment answer of serve's API, and what hub init / broker-config write -----

def _enrollment_answer(settings: Settings) -> dict:
    init_pki(settings.data_dir, settings.broker.server_names)
    with api_of(settings) as client:
        with client.hub.db.begin() as conn:
            token, _ = create_enrollment_token(conn, "rome-1", "test")
        key = SigningKey.generate()
        answer = client.post("/api/v1/enroll", json={
            "token": token, "agent_id": "counter-cfg-1", "csr_pem": make_csr("counter-cfg-1")[0].decode(),
            "signing_public_key": base64.b64encode(public_raw(key.public_key)).decode()})
    assert answer.status_code == 201, answer.text
    return answer.json()["broker"]


def test_broker_host_is_what_enrolled_agents_are_told_to_connect_to(tmp_path):
    settings = settings_for(tmp_path, hub={"data_dir": tmp_path / "hub"}, broker={"host": "mqtt.office.example"})
    assert _enrollment_answer(settings)["host"] == "mqtt.office.example"


def test_broker_port_is_what_enrolled_agents_are_told_and_where_mosquitto_listens(tmp_path):
    settings = settings_for(tmp_path, hub={"data_dir": tmp_path / "hub"}, broker={"port": 18883})
    assert _enrollment_answer(settings)["port"] == 18883
    assert "listener 18883 0.0.0.0" in _broker_config(tmp_path, settings)


def _broker_config(tmp_path: Path, settings: Settings) -> list[str]:
    init_pki(settings.data_dir, settings.broker.server_names)
    result = CliRunner().invoke(broker_config, ["--config", str(settings.config_path)])
    assert result.exit_code == 0, result.output
    return (settings.data_dir / "broker" / "mosquitto.conf").read_text().splitlines()


def test_broker_bind_is_the_address_mosquitto_listens_on(tmp_path):
    settings = settings_for(tmp_path, hub={"data_dir": tmp_path / "hub"}, broker={"bind": "127.0.0.3"})
    assert "listener 8883 127.0.0.3" in _broker_config(tmp_path, settings)


def test_broker_user_is_the_os_user_mosquitto_runs_as(tmp_path):
    settings = settings_for(tmp_path, hub={"data_dir": tmp_path / "hub"}, broker={"user": "counterpay-mqtt"})
    assert "user counterpay-mqtt" in _broker_config(tmp_path, settings)


def test_broker_server_names_go_into_the_certificate_hub_init_makes(tmp_path):
    hub_dir = tmp_path / "hub"
    write_config(hub_dir / "hub.toml", {"hub": {"data_dir": hub_dir},
                                        "database": {"url": f"sqlite:///{hub_dir / 'hub.db'}"},
                                        "broker": {"host": "mqtt.office.example", "server_names": ["10.9.8.7"]}})
    init_hub(hub_dir)
    cert = x509.load_pem_x509_certificate(PkiPaths.under(hub_dir).broker_cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "mqtt.office.example" in san.get_values_for_type(x509.DNSName)
    assert "10.9.8.7" in {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
