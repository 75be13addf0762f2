"""Reconnect storm: a broker outage, then every desk back within seconds with its backlog.

    .venv/bin/python bench/reconnect_storm.py [--agents 2000] [--backlog 20] [--window 10]
        [--generators 2] [--database-url postgresql+psycopg://…]

What runs, each in its own process: mosquitto with the hub's GENERATED TLS configuration
(client certificates from the hub CA, CRL, ACL by CN), the hub's real ingest worker (with
its store process, as `hub serve` runs it) on SQLite or PostgreSQL, and `--generators`
processes of fleet agents (simulators/fleet: signed events, own sequence, re-send of
unacked events with the same bytes), each with a certificate of its own.

  1. every agent connects (TLS handshake with a client certificate): connect time, the
     broker's CPU per handshake, its memory per connection;
  2. the broker stops (the outage); every agent takes `--backlog` payments while offline;
  3. the broker starts again and every agent reconnects at a random moment within
     `--window` seconds, publishing its backlog: time until every payment is acked, the
     broker's and the hub's CPU over the drain, and the proof: every payment acked, each
     stored exactly once at the hub (payment ids counted in its database).

The file-descriptor limit is raised to the hard limit here (each agent is one socket in
its generator and one in the broker).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import selectors
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt  # noqa: E402

from hub.config import BrokerSettings  # noqa: E402
from hub.pki.broker_config import BrokerPaths, write_broker_files  # noqa: E402
from hub.pki.ca import CertificateAuthority, cert_pem, make_csr, parse_csr  # noqa: E402
from hub.pki.setup import init_pki  # noqa: E402
from protocol.keys import KeyDirectory, SigningKey  # noqa: E402
from tests.support.broker import Mosquitto, free_port  # noqa: E402
from figures import record  # noqa: E402  (bench/ is on sys.path when run as a script)

SHARE_GROUP = "hub-storm-bench"


def cpu_seconds_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- the hub (its own process) -----------------------------------------------------------------------
def run_hub(hub_dir: str, url: str, port: int, directory_json: dict, ready, stop, pids) -> None:
    import logging
    logging.basicConfig(level=logging.ERROR)
    from hub.config import MqttSettings, Settings
    from hub.context import HubContext
    from hub.ingest.worker import IngestWorker
    from hub.pki.tls import hub_client_context
    from hub.store.db import Database
    database = Database.open(url)
    settings = Settings(database_url=url, data_dir=Path(hub_dir),
                        mqtt=MqttSettings(host="127.0.0.1", port=port, tls=True, share_group=SHARE_GROUP))
    context = HubContext(settings, database, SigningKey.generate(), SigningKey.generate(),
                         static_directory=KeyDirectory.from_json(directory_json), directory_ttl_s=600)
    worker = IngestWorker(context, host="127.0.0.1", port=port, client_id="hub", tls=hub_client_context(settings),
                          share_group=SHARE_GROUP, store_process=True).start()
    pids.put((os.getpid(), worker._store_process._process.pid))
    ready.set()
    stop.wait()
    worker.stop()
    database.dispose()


# -- fleet agents (generator processes) ---------------------------------------------------------------
class Fleet:
    """Agents of one generator process on one selector (paho's external loop)."""

    def __init__(self, folders: list[str], seed: int):
        from simulators.fleet.agent import FleetStats, SimulatedAgent
        from simulators.fleet.identity import load
        self.stats = FleetStats()
        self.rng = random.Random(seed)
        self.agents = [SimulatedAgent(load(Path(f)), "storm", self.stats, self.rng) for f in folders]
        self.selector = selectors.DefaultSelector()
        self.live: dict[int, object] = {}
        self.last_resend = time.monotonic()
        self.dialled: set[str] = set()

    def connect(self, agent) -> None:
        try:
            if agent.agent_id in self.dialled:
                agent.client.reconnect()
            else:
                agent.connect()
                self.dialled.add(agent.agent_id)
        except OSError:
            self.stats.connect_failures += 1
            return
        sock = agent.client.socket()
        self.live[sock.fileno()] = agent
        self.selector.register(sock, selectors.EVENT_READ, agent)

    def _drop(self, key) -> None:
        self.selector.unregister(key.fileobj)
        self.live.pop(key.fd, None)
        key.data.connected = False

    def pump(self, timeout_s: float) -> None:
        for key, _ in self.selector.select(timeout_s):
            if key.data.client.loop_read(10) not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                self._drop(key)
        for fd, agent in list(self.live.items()):
            if agent.client.want_write() and agent.client.loop_write() not in (mqtt.MQTT_ERR_SUCCESS,
                                                                              mqtt.MQTT_ERR_AGAIN):
                self._drop(self.selector.get_key(fd))
                continue
            agent.client.loop_misc()
        now = time.monotonic()
        if now - self.last_resend > 1.0:
            for agent in self.agents:
                agent.resend_overdue(now)
            self.last_resend = now

    def pending(self) -> int:
        return sum(len(a.pending) for a in self.agents)


def run_generator(folders: list[str], seed: int, window_s: float, backlog: int, resend_after_s: float, steps,
                  results) -> None:
    import simulators.fleet.agent as fleet_agent
    fleet_agent.RESEND_AFTER_S = resend_after_s
    fleet = Fleet(folders, seed)
    started = time.monotonic()
    for n, agent in enumerate(fleet.agents):          # 1. connect, pumping as we go
        fleet.connect(agent)
        if n % 25 == 0:
            fleet.pump(0)
    deadline = time.monotonic() + 120
    while not all(a.connected for a in fleet.agents) and time.monotonic() < deadline:
        fleet.pump(0.05)
    results.put(("connected", sum(a.connected for a in fleet.agents), time.monotonic() - started,
                 time.process_time()))
    steps["outage"].wait()                             # 2. the broker goes away
    deadline = time.monotonic() + 30
    while fleet.live and time.monotonic() < deadline:
        fleet.pump(0.05)
    for agent in fleet.agents:
        agent.connected = False
        for _ in range(backlog):
            agent.send_payment()                       # offline: kept in `pending`, published on reconnect
    results.put(("queued", fleet.pending(), 0.0, 0.0))
    steps["reconnect"].wait()                          # 3. the broker is back: everyone within the window
    t0 = time.time()
    order = sorted(fleet.agents, key=lambda _a: fleet.rng.random())
    due = sorted(fleet.rng.uniform(0, window_s) for _ in order)
    cpu_at = time.process_time()
    index, last_connect = 0, 0.0
    deadline = time.time() + window_s + 300
    while time.time() < deadline and (index < len(order) or fleet.pending()):
        while index < len(order) and time.time() - t0 >= due[index]:
            fleet.connect(order[index])
            last_connect = time.time() - t0
            index += 1
        fleet.pump(0.002)
        for agent in order[:index]:                    # refused or cut mid-storm: try again, as an agent would
            if not agent.connected and agent.client.socket() is None and agent.pending:
                fleet.connect(agent)
    results.put(("drained", {"pending": fleet.pending(), "acked": fleet.stats.acked, "sent": fleet.stats.sent,
                             "duplicate_acks": fleet.stats.duplicate_acks, "resent": fleet.stats.resent,
                             "rejected": fleet.stats.rejected, "connect_failures": fleet.stats.connect_failures,
                             "last_connect_s": last_connect, "done_at": time.time(), "t0": t0,
                             "cpu_s": time.process_time() - cpu_at}, 0.0, 0.0))
    steps["finish"].wait()
    for agent in fleet.agents:
        try:
            agent.client.disconnect()
        except Exception:  # noqa: BLE001 - closing down
            pass


# -- setting up ----------------------------------------------------------------------------------------
def make_fleet(hub_dir: Path, ca: CertificateAuthority, port: int, count: int) -> tuple[list[str], KeyDirectory]:
    import json
    directory = KeyDirectory()
    folders = []
    for n in range(count):
        agent_id = f"storm-{n:05d}"
        folder = hub_dir / "fleet" / agent_id
        folder.mkdir(parents=True, mode=0o700)
        csr, key = make_csr(agent_id)
        (folder / "client.crt").write_bytes(cert_pem(ca.issue_client(parse_csr(csr), agent_id)))
        (folder / "client.key").write_bytes(key)
        (folder / "ca.crt").write_bytes(ca.ca_pem)
        signing = SigningKey.generate()
        (folder / "signing-key.pem").write_bytes(signing.to_pem())
        (folder / "identity.json").write_text(json.dumps({"agent_id": agent_id, "broker_host": "127.0.0.1",
                                                          "broker_port": port}))
        directory.add(signing.public_entry(agent_id, ["event"]))
        folders.append(str(folder))
    return folders, directory


def count_payments(url: str) -> tuple[int, int]:
    from sqlalchemy import distinct, func, select
    from hub.store.db import Database
    from hub.store.tables import payments
    db = Database.open(url)
    try:
        with db.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(payments)).scalar_one()
            ids = conn.execute(select(func.count(distinct(payments.c.payment_id)))).scalar_one()
    finally:
        db.dispose()
    return rows, ids


def gather(results, kind: str, count: int, timeout_s: float) -> list:
    out = []
    while len(out) < count:
        got = results.get(timeout=timeout_s)
        if got[0] != kind:
            raise RuntimeError(f"expected {kind} from a generator, got {got[0]}")
        out.append(got[1:])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=20, help="payments each agent takes while offline")
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which the agents reconnect")
    parser.add_argument("--generators", type=int, default=2, help="processes the agents are spread over")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in the run's folder")
    parser.add_argument("--resend-after", type=float, default=30.0,
                        help="seconds an agent waits for an ack before sending the event again (the agent's "
                             "[sync] ack_timeout_s is 30; the fleet simulator's own default is 10)")
    args = parser.parse_args()
    limit = raise_fd_limit()
    if limit < args.agents // args.generators + 200:
        sys.exit(f"the file-descriptor limit is {limit}: too low for {args.agents} agents in {args.generators} "
                 "processes (raise `ulimit -Hn`, or use more --generators)")
    context = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="storm-") as folder:
        hub_dir = Path(folder) / "hub"
        broker_settings = BrokerSettings(port=free_port(), bind="127.0.0.1")
        paths = init_pki(hub_dir, broker_settings.server_names)
        ca = CertificateAuthority.load(paths)
        conf = write_broker_files(broker_settings, hub_dir)
        made = time.monotonic()
        folders, directory = make_fleet(hub_dir, ca, broker_settings.port, args.agents)
        print(f"{args.agents} agents' certificates issued in {time.monotonic() - made:.1f} s; fd limit {limit}")
        url = args.database_url or f"sqlite:///{folder}/hub.db"
        broker = Mosquitto(BrokerPaths.under(hub_dir).root, port=broker_settings.port,
                           config_text=conf.read_text()).start()
        ready, stop, pids, results = context.Event(), context.Event(), context.Queue(), context.Queue()
        steps = {name: context.Event() for name in ("outage", "reconnect", "finish")}
        hub = context.Process(target=run_hub, args=(str(hub_dir), url, broker.port, directory.to_json(), ready,
                                                    stop, pids))
        hub.start()
        generators = []
        try:
            if not ready.wait(60):
                raise RuntimeError("the hub did not start")
            hub_pids = pids.get(timeout=5)
            idle_rss = rss_mib(broker.process.pid)
            broker_cpu = cpu_seconds_of(broker.process.pid)
            connect_started = time.monotonic()
            generators = [context.Process(target=run_generator, args=(folders[n::args.generators], n, args.window,
                                                                      args.backlog, args.resend_after, steps,
                                                                      results))
                          for n in range(args.generators)]
            for process in generators:
                process.start()
            connected = gather(results, "connected", args.generators, 300)
            connect_s = time.monotonic() - connect_started
            connect_cpu = cpu_seconds_of(broker.process.pid) - broker_cpu
            full_rss = rss_mib(broker.process.pid)
            online = sum(c[0] for c in connected)
            client_cpu = sum(c[2] for c in connected)
            print(f"connect: {online}/{args.agents} online in {connect_s:.1f} s; broker CPU {connect_cpu:.2f} s "
                  f"({1000 * connect_cpu / max(online, 1):.2f} ms per TLS connection), agents' CPU "
                  f"{client_cpu:.1f} s (incl. loading keys); broker RSS {idle_rss:.1f} → {full_rss:.1f} MiB "
                  f"({1024 * (full_rss - idle_rss) / max(online, 1):.1f} KiB per connection)")
            outage = time.monotonic()
            broker.stop()
            steps["outage"].set()
            queued = sum(q[0] for q in gather(results, "queued", args.generators, 120))
            print(f"outage: broker stopped; {queued} payments waiting at the agents ({time.monotonic() - outage:.1f} s)")
            broker.start()
            broker_cpu = cpu_seconds_of(broker.process.pid)
            hub_cpu = sum(cpu_seconds_of(p) for p in hub_pids)
            load_before = os.getloadavg()
            steps["reconnect"].set()
            drained = [d[0] for d in gather(results, "drained", args.generators, args.window + 600)]
            storm_broker_cpu = cpu_seconds_of(broker.process.pid) - broker_cpu
            storm_hub_cpu = sum(cpu_seconds_of(p) for p in hub_pids) - hub_cpu
            load_after = os.getloadavg()
            storm_rss = rss_mib(broker.process.pid)
            steps["finish"].set()
        finally:
            for event in steps.values():
                event.set()
            for process in generators:
                process.join(30)
                if process.is_alive():
                    process.terminate()
            stop.set()
            hub.join(60)
            broker.stop()
        rows, ids = count_payments(url)
    t0 = min(d["t0"] for d in drained)
    drain_s = max(d["done_at"] for d in drained) - t0
    total = {key: sum(d[key] for d in drained) for key in ("pending", "acked", "sent", "duplicate_acks", "resent",
                                                          "rejected", "connect_failures", "cpu_s")}
    expected = args.agents * args.backlog
    print(f"storm (re-send after {args.resend_after:.0f} s without an ack): {args.agents} agents reconnected within {max(d['last_connect_s'] for d in drained):.1f} s, "
          f"{total['acked']}/{expected} acked, {total['pending']} never acked, {total['duplicate_acks']} duplicate "
          f"acks, {total['resent']} re-sent, {total['rejected']} rejected, {total['connect_failures']} failed connects")
    tail_s = drain_s - max(d["last_connect_s"] for d in drained)
    print(f"       every payment acked {drain_s:.1f} s after the first reconnect, {tail_s:.1f} s after the last "
          f"({expected / drain_s:.0f} payments/s over the storm)")
    print(f"       CPU over the storm: broker {storm_broker_cpu:.1f} s, hub (ingest + store) {storm_hub_cpu:.1f} s, "
          f"agents {total['cpu_s']:.1f} s; broker RSS {storm_rss:.1f} MiB; load {load_before[0]:.2f} → "
          f"{load_after[0]:.2f} (1-min), {os.cpu_count()} cores")
    print(f"hub database: {rows} payment rows, {ids} distinct payment ids (expected {expected} of each)")
    ok = total["acked"] == expected and total["pending"] == 0 and rows == ids == expected
    print("PASS: all acked, none doubled" if ok else "FAIL: payments lost or doubled")
    record("reconnect_storm", f"drain after {args.agents} agents x {args.backlog} reconnect in {args.window:.0f} s",
           round(drain_s, 1), "s")
    record("reconnect_storm", "all acked, none doubled", ok, "", "true", ok)
    record("reconnect_storm", "broker CPU per TLS connection", round(1000 * connect_cpu / max(online, 1), 2), "ms")
    record("reconnect_storm", "broker memory per TLS connection",
           round(1024 * (full_rss - idle_rss) / max(online, 1), 1), "KiB")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
