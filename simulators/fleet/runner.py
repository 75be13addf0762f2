"""Drive many simulated agents from one thread with a selector, at a global rate.

paho's external-loop API (socket(), loop_read(), loop_write(), loop_misc()) lets one
selector serve hundreds of MQTT sessions; a thread per client would cost 8 MiB of stack
each and a context switch per packet.
"""

from __future__ import annotations

import selectors
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from simulators.fleet.agent import FleetStats, SimulatedAgent


@dataclass
class FleetSummary:
    agents: int
    connected: int
    sent: int
    acked: int
    unacked: int
    duplicate_acks: int
    resent: int
    rejected: int
    connect_failures: int
    duration_s: float
    rate_per_s: float
    ack_p50_ms: float | None
    ack_p99_ms: float | None

    def to_json(self) -> dict:
        return dict(self.__dict__)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class FleetRunner:
    def __init__(self, agents: list[SimulatedAgent], stats: FleetStats):
        self.agents = agents
        self.stats = stats
        self.selector = selectors.DefaultSelector()
        self.by_fd: dict[int, SimulatedAgent] = {}

    def connect_all(self, timeout_s: float = 60.0) -> None:
        for agent in self.agents:
            try:
                agent.connect()
            except OSError:
                self.stats.connect_failures += 1
                continue
            sock = agent.client.socket()
            self.by_fd[sock.fileno()] = agent
            self.selector.register(sock, selectors.EVENT_READ, agent)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not all(a.connected for a in self.by_fd.values()):
            self.pump(0.05)

    def pump(self, timeout_s: float) -> None:
        for key, _ in self.selector.select(timeout_s):
            agent: SimulatedAgent = key.data
            if agent.client.loop_read(10) not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                agent.connected = False
        for agent in self.by_fd.values():
            if agent.client.want_write():
                agent.client.loop_write()
            agent.client.loop_misc()

    def run(self, rate_per_s: float, duration_s: float, drain_s: float = 30.0) -> FleetSummary:
        live = [agent for agent in self.by_fd.values() if agent.connected]
        start = time.monotonic()
        interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        next_send, index, last_resend = start, 0, start
        while live and time.monotonic() - start < duration_s:
            now = time.monotonic()
            while next_send <= now and time.monotonic() - start < duration_s:
                agent = live[index % len(live)]
                index += 1
                if agent.connected:
                    agent.send_payment()
                next_send += interval
            if now - last_resend > 1.0:
                for agent in live:
                    agent.resend_overdue(now)
                last_resend = now
            self.pump(max(0.0, min(0.01, next_send - time.monotonic())))
        sending_time = time.monotonic() - start
        drain_deadline = time.monotonic() + drain_s
        while time.monotonic() < drain_deadline and any(agent.pending for agent in live):
            self.pump(0.02)
            now = time.monotonic()
            if now - last_resend > 1.0:
                for agent in live:
                    agent.resend_overdue(now)
                last_resend = now
        return self.summary(sending_time)

    def summary(self, duration_s: float) -> FleetSummary:
        latencies = self.stats.latencies_s
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        return FleetSummary(
            agents=len(self.agents), connected=sum(1 for a in self.agents if a.connected),
            sent=self.stats.sent, acked=self.stats.acked, unacked=sum(len(a.pending) for a in self.agents),
            duplicate_acks=self.stats.duplicate_acks, resent=self.stats.resent, rejected=self.stats.rejected,
            connect_failures=self.stats.connect_failures, duration_s=round(duration_s, 2),
            rate_per_s=round(self.stats.sent / duration_s, 1) if duration_s else 0.0,
            ack_p50_ms=None if p50 is None else round(p50 * 1000, 1),
            ack_p99_ms=None if p99 is None else round(p99 * 1000, 1))

    def close(self) -> None:
        for agent in self.agents:
            try:
                agent.client.disconnect()
                agent.client.loop_write()
            except Exception:  # noqa: BLE001 - best effort at shutdown, the broker will see the socket close
                pass
        self.selector.close()


