"""A site for broker attacks: the generated TLS broker, the real ingest worker, enrolled agents.

`BrokerSite` starts mosquitto with the configuration `hub broker-config` writes, runs
`IngestWorker` with the hub's own certificate against a real database, and enrolls
agents through `hub.pki.enrollment.enroll` (their certificates and Ed25519 keys are the
ones the hub issued and stored).  `send_and_time` publishes events as one agent and
measures each one's application-ack latency, the figure an attack on the ingest hurts.
"""

from __future__ import annotations

import base64
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from hub.config import MqttSettings, Settings
from hub.context import HubContext
from hub.ingest.worker import IngestWorker
from hub.pki.ca import make_csr
from hub.pki.enrollment import EnrollmentRequest, create_token, enroll
from hub.pki.tls import hub_client_context
from protocol.keys import SigningKey, public_raw
from protocol.wire import decode, topics
from tests.hub.agents import FakeAgent
from tests.support.pki_broker import TlsBroker, TlsClient
from tests.support.waiting import WaitTimeout, wait_until


@dataclass
class AckTimes:
    sent: int
    latencies_s: list[float]

    @property
    def missed(self) -> int:
        return self.sent - len(self.latencies_s)

    def summary(self) -> str:
        if not self.latencies_s:
            return f"0 of {self.sent} acked"
        ms = sorted(x * 1000 for x in self.latencies_s)
        return (f"{len(ms)} of {self.sent} acked, median {statistics.median(ms):.1f} ms, "
                f"max {ms[-1]:.1f} ms")


class BrokerSite:
    def __init__(self, hub_db, tmp_path: Path):
        self.tmp_path = tmp_path
        self.db = hub_db
        self.broker = TlsBroker(tmp_path / "hub").start()
        self.settings = Settings(database_url=hub_db.url, data_dir=self.broker.hub_dir,
                                 mqtt=MqttSettings(host="127.0.0.1", port=self.broker.port, tls=True,
                                                   ca_file=self.broker.ca_cert))
        self.context = HubContext(settings=self.settings, db=hub_db, order_key=SigningKey.generate(),
                                  event_key=SigningKey.generate(), directory_ttl_s=0.0)
        self.clients: list[TlsClient] = []
        self.workers: list[IngestWorker] = []

    def start_ingest(self, share_group: str, **options) -> IngestWorker:
        options = {"client_id": "hub-1", "clean_start": True, "session_expiry_s": 0, **options}
        worker = IngestWorker(self.context, host="127.0.0.1", port=self.broker.port,
                              tls=hub_client_context(self.settings), share_group=share_group, **options).start()
        assert worker.subscribed.is_set(), "the hub's certificate must get its subscriptions"
        self.workers.append(worker)
        return worker

    def stop_ingest(self, worker: IngestWorker) -> None:
        worker.stop()
        self.workers.remove(worker)

    def enroll(self, agent_id: str) -> tuple[FakeAgent, Path, Path]:
        """Enroll `agent_id` as the hub does → (its signing side, certificate file, TLS key file)."""
        agent = FakeAgent(agent_id)
        csr, tls_key = make_csr(agent_id)
        with self.db.begin() as conn:
            token, _ = create_token(conn, "riga-1", "test")
            result = enroll(conn, self.broker.ca, EnrollmentRequest(
                token, agent_id, csr.decode(), base64.b64encode(public_raw(agent.key.public_key)).decode()))
        cert_path, key_path = self.tmp_path / f"{agent_id}.pem", self.tmp_path / f"{agent_id}.key"
        cert_path.write_text(result.certificate_pem)
        key_path.write_bytes(tls_key)
        return agent, cert_path, key_path

    def connect(self, client_id: str, cert: Path, key: Path, **options) -> TlsClient:
        client = TlsClient(self.broker, client_id, cert, key)
        assert client.connect(**options), f"{client_id} must be accepted by the broker"
        self.clients.append(client)
        return client

    def agent(self, agent_id: str) -> tuple[FakeAgent, TlsClient]:
        """An enrolled agent, connected and subscribed to its acks."""
        agent, cert, key = self.enroll(agent_id)
        link = self.connect(agent_id, cert, key)
        link.subscribe(topics.acks(agent_id))
        return agent, link

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for worker in list(self.workers):
            worker.stop()
        self.broker.stop()


def acked_ids(link: TlsClient) -> dict[str, float]:
    """Message id → when its ack arrived."""
    with link.lock:
        received = list(zip(link.messages, link.arrivals, strict=True))
    acked: dict[str, float] = {}
    for (topic, payload), at in received:
        if topic.endswith("/acks"):
            for ack in decode(payload).body["acks"]:
                acked.setdefault(ack["for_id"], at)
    return acked


def send_and_time(agent: FakeAgent, link: TlsClient, count: int = 20, wait_s: float = 5.0,
                  gap_s: float = 0.01) -> AckTimes:
    """Publish `count` payments (QoS 1, each PUBACKed), then collect their acks for up to `wait_s`."""
    sent: dict[str, float] = {}
    for _ in range(count):
        envelope = agent.payment()
        sent[envelope.id] = time.monotonic()
        assert link.publish(topics.events(agent.agent_id), envelope.encode()) in (0, 16)
        time.sleep(gap_s)
    try:
        wait_until(lambda: set(sent) <= set(acked_ids(link)), wait_s, "every payment acked")
    except WaitTimeout:
        pass   # the caller counts what was acked: under an attack some never are
    acked = acked_ids(link)
    return AckTimes(count, [acked[mid] - at for mid, at in sent.items() if mid in acked])
