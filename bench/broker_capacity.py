"""What one mosquitto takes on this machine: connections, memory per connection, messages/s.

    .venv/bin/python bench/broker_capacity.py [--connections 1000,5000,10000,20000] [--messages 50000]

Connections: raw TCP sockets each sending an MQTT 3.1.1 CONNECT (keepalive 600 s) and
reading its CONNACK, held open in steps; the broker's resident memory and CPU are read
from /proc after each step.  Plain TCP, so the figure is the broker's own cost per
session; bench/reconnect_storm.py measures the same with TLS and client certificates.
Messages: one paho publisher (QoS 0, then QoS 1 with 1000 in flight) to one paho
subscriber through the broker, 600-byte payloads (a payment event's size): messages/s
and the broker's CPU per message.  The descriptor limit is raised as far as root may
(`fs.nr_open`); the broker inherits it.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from tests.support.broker import Mosquitto  # noqa: E402
from figures import record  # noqa: E402  (bench/ is on sys.path when run as a script)
from reconnect_storm import cpu_seconds_of, rss_mib  # noqa: E402


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        ceiling = int(Path("/proc/sys/fs/nr_open").read_text())
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, ceiling), min(wanted, ceiling)))
    except (OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet(client_id: str) -> bytes:
    ident = client_id.encode()
    variable = b"\x00\x04MQTT\x04\x02" + struct.pack("!H", 600)      # v3.1.1, clean session, keepalive
    payload = struct.pack("!H", len(ident)) + ident
    return b"\x10" + _remaining_length(len(variable) + len(payload)) + variable + payload


def open_sessions(port: int, start: int, count: int) -> tuple[list[socket.socket], int]:
    sockets, failed = [], 0
    for n in range(start, start + count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(connect_packet(f"cap-{n}"))
            sockets.append(sock)
        except OSError:
            failed += 1
    for sock in sockets:                 # CONNACK: 0x20 0x02 0x00 0x00
        try:
            if sock.recv(4)[:1] != b"\x20":
                failed += 1
        except OSError:
            failed += 1
    return sockets, failed


def throughput(port: int, count: int, qos: int) -> dict:
    received = threading.Event()
    got = [0]
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cap-sub-{qos}", protocol=mqtt.MQTTv5)
    subscribed = threading.Event()

    def on_message(*_a) -> None:
        got[0] += 1
        if got[0] >= count:
            received.set()

    sub.on_message = on_message
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    sub.subscribe("cap/#", qos=qos)
    subscribed.wait(10)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cap-pub-{qos}", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.max_queued_messages_set(0)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    payload = b"x" * 600
    start = time.perf_counter()
    for n in range(count):
        pub.publish(f"cap/{n % 100}", payload, qos=qos)
    received.wait(300)
    seconds = time.perf_counter() - start
    for client in (pub, sub):
        client.disconnect()
        client.loop_stop()
    return {"received": got[0], "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", default="1000,5000,10000,20000", help="connection counts to hold, in steps")
    parser.add_argument("--messages", type=int, default=50000)
    args = parser.parse_args()
    steps = sorted(int(x) for x in args.connections.split(","))
    limit = raise_fd_limit(steps[-1] + 1000)
    # This process holds one descriptor per connection, as does the broker (which inherits the limit).
    capped = [n for n in steps if n <= limit - 500] or [limit - 500]
    if capped != steps:
        print(f"connection steps above the descriptor limit left out: {[n for n in steps if n not in capped]}; "
              f"a broker of its own needs a higher `ulimit -Hn` (LimitNOFILE in its unit)")
    steps = capped
    print(f"descriptor limit {limit} (fs.nr_open {Path('/proc/sys/fs/nr_open').read_text().strip()}); "
          f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="capacity-") as folder:
        broker = Mosquitto(Path(folder), config_text=None)
        broker.config_path.write_text(broker.default_config().replace("max_inflight_messages 0",
                                                                      "max_inflight_messages 1000")
                                      + "max_connections -1\n")
        broker.start()
        pid = broker.process.pid
        try:
            base_rss, held, opened = rss_mib(pid), [], 0
            print(f"{'connections':>12} {'broker RSS MiB':>15} {'KiB/conn':>9} {'connect/s':>10} "
                  f"{'broker CPU ms/conn':>19} {'failed':>7}")
            per_conn = None
            for target in steps:
                cpu, wall = cpu_seconds_of(pid), time.perf_counter()
                sockets, failed = open_sessions(broker.port, opened, target - opened)
                wall, cpu = time.perf_counter() - wall, cpu_seconds_of(pid) - cpu
                new = len(sockets)
                held += sockets
                opened = target
                time.sleep(0.5)
                rss = rss_mib(pid)
                per_conn = 1024 * (rss - base_rss) / max(len(held), 1)
                print(f"{len(held):>12} {rss:>15.1f} {per_conn:>9.1f} {new / wall:>10.0f} "
                      f"{1000 * cpu / max(new, 1):>19.3f} {failed:>7}")
                if failed:
                    break
            record("broker_capacity", "plain connections held", len(held), "connections")
            record("broker_capacity", "broker memory per plain connection", round(per_conn, 1), "KiB")
            for sock in held:
                sock.close()
            time.sleep(1)
            for qos in (0, 1):
                cpu = cpu_seconds_of(pid)
                result = throughput(broker.port, args.messages, qos)
                cpu = cpu_seconds_of(pid) - cpu
                rate = result["received"] / result["seconds"]
                print(f"QoS {qos}: {result['received']}/{args.messages} messages of 600 bytes in "
                      f"{result['seconds']:.2f} s = {rate:.0f}/s; broker CPU {cpu:.2f} s "
                      f"({1e6 * cpu / max(result['received'], 1):.1f} µs per message)")
                record("broker_capacity", f"messages/s QoS {qos}, one publisher → one subscriber", round(rate),
                       "messages/s")
        finally:
            broker.stop()
    print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
