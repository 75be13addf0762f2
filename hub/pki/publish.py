"""Publish a retained document once (the key directory, a catalogue), from a command line, with
the hub's own client certificate.

`hub serve` publishes through its running MQTT client (keydir.publish_key_directory);
the `hub revoke-agent` command has none, so it connects, publishes retained, waits for
the PUBACK and leaves.  It connects as ``hub-cli`` with a certificate issued in memory:
the broker takes the client id from the CN, and with a worker's certificate the command
would throw that worker off the broker.  A broker that is down is reported, not fatal: the directory is
published again at the next change or hub start.
"""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.pki.keydir import directory_payload
from hub.pki.ca import HUB_COMMAND_CN, CertificateAuthority, PkiPaths
from hub.pki.tls import ephemeral_context
from protocol.keys import KeyDirectory
from protocol.wire.topics import KEYS


def publish_directory_once(settings, directory: KeyDirectory, ca: CertificateAuthority,
                           timeout_s: float = 10.0) -> str | None:
    """Publish `directory` retained; None on success, else what went wrong."""
    return publish_once(settings, ca, KEYS, directory_payload(directory), "the key directory", timeout_s)


def publish_retained(settings, topic: str, payload: bytes, what: str, timeout_s: float = 10.0) -> str | None:
    """`publish_once` with the site's own CA when [mqtt] tls is on, a plain connection when it is off."""
    ca = None
    if settings.mqtt.tls:
        try:
            ca = CertificateAuthority.load(PkiPaths.under(settings.data_dir))
        except FileNotFoundError as exc:
            return str(exc)
    return publish_once(settings, ca, topic, payload, what, timeout_s)


def publish_once(settings, ca: CertificateAuthority | None, topic: str, payload: bytes, what: str,
                 timeout_s: float = 10.0) -> str | None:
    """Publish `payload` retained on `topic`; None on success, else what went wrong (`what` names it).
    `ca` None: a plain connection (a broker without TLS)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=HUB_COMMAND_CN, protocol=mqtt.MQTTv5)
    done = threading.Event()
    try:
        if ca is not None:
            client.tls_set_context(ephemeral_context(ca, HUB_COMMAND_CN))
        client.connect(settings.mqtt.host, settings.mqtt.port, keepalive=30)
    except (OSError, ValueError) as exc:
        return f"could not reach the broker at {settings.mqtt.host}:{settings.mqtt.port}: {exc}"
    client.on_publish = lambda *_args: done.set()
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1, retain=True)
        if not done.wait(timeout_s):
            return f"the broker did not confirm {what} within {timeout_s:.0f}s"
        return None
    finally:
        client.disconnect()
        client.loop_stop()
