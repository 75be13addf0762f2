"""A publish-only MQTT connection for hub processes that consume nothing (`hub serve --role api`).

The API publishes now and then (a fee catalogue, an order's state, a command to an agent);
in a process with the ingest role the ingest worker's connection does it, elsewhere this
one, under the process's own identity (`hub serve --worker NAME`: the broker throws out a
second connection with the same certificate).  QoS 1 with paho's own queue: a message
published while the broker is away goes out when the connection is back, and retained
state is republished by every ingest worker on connect anyway.
"""

from __future__ import annotations

import logging
import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger(__name__)


class BrokerPublisher:
    def __init__(self, *, host: str, port: int, client_id: str, tls: ssl.SSLContext | None):
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if tls is not None:
            self.client.tls_set_context(tls)
        self.host, self.port = host, port
        self.client.on_connect = self._on_connect

    def _on_connect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.error("broker refused the hub's publisher: %s", reason_code)

    def start(self) -> "BrokerPublisher":
        self.client.reconnect_delay_set(0.2, 5)
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        return self

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
