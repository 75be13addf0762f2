"""A real mosquitto with the hub's GENERATED TLS configuration, and TLS clients for it.

`TlsBroker(tmp_path)` runs `hub.pki.setup.init_pki` and `write_broker_files` (exactly
what `counterpay hub init` / `hub broker-config` produce) on a free loopback port, and
issues client certificates from the same CA.  `hub_client(name)` connects as a hub
identity of its own (a worker certificate, let into the ACL): the broker takes client
ids from certificates, so two clients sharing one would throw each other out.
`TlsClient` is a paho-mqtt 2.x MQTT v5 client over TLS that records what it receives
(and when), its SUBACK and PUBACK reason codes.
"""

from __future__ import annotations

import signal
import ssl
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.config import BrokerSettings
from hub.pki.broker_config import BrokerPaths, write_broker_files
from hub.pki.ca import HUB_CLIENT_CN, CertificateAuthority, PkiPaths, cert_pem, make_csr, parse_csr
from hub.pki.setup import init_pki, issue_worker_cert
from tests.support.broker import Mosquitto, free_port
from tests.support.waiting import wait_until


class TlsBroker:
    def __init__(self, hub_dir: Path):
        self.hub_dir = Path(hub_dir)
        self.settings = BrokerSettings(port=free_port(), bind="127.0.0.1")
        self.files = BrokerPaths.under(self.hub_dir)
        self.paths: PkiPaths = init_pki(self.hub_dir, self.settings.server_names)
        self.ca = CertificateAuthority.load(self.paths)
        conf = write_broker_files(self.settings, self.hub_dir)
        self.mosquitto = Mosquitto(self.files.root, port=self.settings.port, config_text=conf.read_text())

    @property
    def port(self) -> int:
        return self.settings.port

    @property
    def ca_cert(self) -> Path:
        return self.paths.ca_cert

    def start(self) -> "TlsBroker":
        self.mosquitto.start()
        self.files.pid.write_text(f"{self.mosquitto.process.pid}\n")   # as `hub up` does
        return self

    def stop(self) -> None:
        self.mosquitto.stop()

    def client_files(self, common_name: str, ca: CertificateAuthority | None = None) -> tuple[Path, Path]:
        """Issue a client certificate for `common_name` (from `ca`, default the hub CA) → (cert, key)."""
        csr, key = make_csr(common_name)
        cert = (ca or self.ca).issue_client(parse_csr(csr), common_name)
        folder = self.hub_dir / "clients"
        folder.mkdir(exist_ok=True)
        stem = f"{common_name}-{cert.serial_number:x}"
        cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
        cert_path.write_bytes(cert_pem(cert))
        key_path.write_bytes(key)
        return cert_path, key_path

    def reload(self, timeout_s: float = 5.0) -> None:
        """SIGHUP the broker (as a revocation or `hub worker-cert` does) and wait until it re-read its files."""
        # At the log levels the generated config keeps, the one line each ACL load writes is the
        # warning about the broadcast pattern without %u.
        def loads() -> int:
            return self.files.log.read_text(errors="replace").count("does not contain '%c' or '%u'")
        before = loads()
        self.mosquitto.process.send_signal(signal.SIGHUP)
        wait_until(lambda: loads() > before, timeout_s, "mosquitto to reload its configuration")

    def hub_client(self, client_id: str = "hub-test") -> "TlsClient":
        """A client with a hub identity: `hub` itself for client id 'hub', else a worker certificate of its own."""
        if client_id == HUB_CLIENT_CN:
            return TlsClient(self, client_id, self.paths.hub_client_cert, self.paths.hub_client_key)
        name = client_id.removeprefix("hub-")
        fresh = not self.paths.worker_cert(name).exists()
        _cn, cert, key = issue_worker_cert(self.hub_dir, name)
        if fresh:
            write_broker_files(self.settings, self.hub_dir)
            if self.mosquitto.process is not None and self.mosquitto.process.poll() is None:
                self.reload()
        return TlsClient(self, client_id, cert, key)


class TlsClient:
    """One MQTT v5 TLS connection; `connect()` returns whether the broker accepted it.

    `broker`: anything with `port` and `ca_cert` (a TlsBroker, or a SimpleNamespace for a
    broker started some other way).
    """

    def __init__(self, broker, client_id: str, cert: Path | None, key: Path | None):
        self.broker = broker
        self.messages: list[tuple[str, bytes]] = []
        self.arrivals: list[float] = []          # time.monotonic() of each message, in step with `messages`
        self.subacks: dict[int, list[int]] = {}
        self.pubacks: dict[int, int] = {}
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(broker.ca_cert))
        if cert:
            context.load_cert_chain(str(cert), str(key))
        self.client.tls_set_context(context)
        self.client.on_connect = lambda c, u, f, rc, p: rc.is_failure or self.connected.set()
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish
        self.disconnects: list[float] = []       # time.monotonic() of each connection the broker closed
        self.client.on_disconnect = self._on_disconnect

    def _on_message(self, _c, _u, message) -> None:
        with self.lock:
            self.messages.append((message.topic, message.payload))
            self.arrivals.append(time.monotonic())

    def _on_subscribe(self, _c, _u, mid, reason_codes, _p) -> None:
        with self.lock:
            self.subacks[mid] = [rc.value for rc in reason_codes]

    def _on_disconnect(self, _c, _u, _flags, _reason_code, _p) -> None:
        with self.lock:
            self.disconnects.append(time.monotonic())
        self.connected.clear()

    def _on_publish(self, _c, _u, mid, reason_code, _p) -> None:
        with self.lock:
            self.pubacks[mid] = reason_code.value

    def connect(self, timeout_s: float = 5.0, clean_start=mqtt.MQTT_CLEAN_START_FIRST_ONLY,
                session_expiry_s: int | None = None) -> bool:
        """True once CONNACK accepted; False if the TLS handshake or the broker refused."""
        properties = None
        if session_expiry_s is not None:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = session_expiry_s
        try:
            self.client.connect("127.0.0.1", self.broker.port, keepalive=30, clean_start=clean_start,
                                properties=properties)
        except (ssl.SSLError, OSError):
            return False
        self.client.loop_start()
        return self.connected.wait(timeout_s)

    def subscribe(self, topic: str, timeout_s: float = 5.0) -> list[int]:
        _rc, mid = self.client.subscribe(topic, qos=1)
        return self._answer(self.subacks, mid, timeout_s, f"the SUBACK for {topic}")

    def publish(self, topic: str, payload: bytes, retain: bool = False, timeout_s: float = 5.0) -> int:
        """Publish QoS 1 and return the PUBACK reason code (0 success, 135 not authorized)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return self._answer(self.pubacks, info.mid, timeout_s, f"the PUBACK for {topic}")

    def received(self) -> list[tuple[str, bytes]]:
        with self.lock:
            return list(self.messages)

    def _answer(self, answers: dict, mid: int, timeout_s: float, what: str):
        # The reason code itself may be 0 (success): wait for the message id, then read its code.
        def arrived() -> bool:
            with self.lock:
                return mid in answers
        wait_until(arrived, timeout_s, what)
        with self.lock:
            return answers[mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
