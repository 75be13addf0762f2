"""Hub ingest benchmark: signed events from many simulated agents through a real
mosquitto until acked, for the hub's ingest and, side by side, for the floor.

    .venv/bin/python bench/hub_ingest.py [--agents 100] [--events 20000] [--rate 1000]
        [--hub-workers 1] [--ack-qos 1] [--without-delivery]
    .venv/bin/python bench/hub_ingest.py --postgres [URL] --hub-workers 1,2,3

With --postgres the hub stores into PostgreSQL (a fresh schema per measurement): at URL,
or in a cluster the bench starts of its own (initdb into a temporary folder, its own port),
so nothing else on the machine shares that server.  Each worker count in --hub-workers is
measured right after a floor measurement of its own, and the hub with one worker on SQLite
too, so every ratio compares figures taken minutes apart at most.  The CPU figures include
the PostgreSQL server's (its postmaster and every backend).

The floor is a bare paho subscriber that inserts every message into SQLite (batched
commits) and acks them unsigned, in the hub's shape (one message per agent per batch):
no envelope checks, no signature check, no dedup, no linking, no webhook queue.  Each subject runs in its own process, with a fresh broker, and the
load generator in another process, so the generator does not share the subject's GIL.

Two phases per subject:
  flood   every event published as fast as QoS 1 allows → events/s (first publish to last ack)
  paced   events at --rate per second → ack latency p50 / p99 (publish → ack received)
Targets (issue 5): hub ≥ 3,000 events/s and ≥ 0.5 × the floor; (issue 16) one worker ≥ 0.8
× the floor on SQLite, and on PostgreSQL ≥ 0.6 × SQLite's figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from protocol.keys import KeyDirectory, SigningKey  # noqa: E402
from protocol.wire import make, topics  # noqa: E402
from tests.support.broker import Mosquitto  # noqa: E402
from figures import record  # noqa: E402  (bench/ is on sys.path when run as a script)


# -- subjects (each in its own process) ------------------------------------------------------------
def cpu_seconds_of(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_hub(port: int, workdir: str, directory_json: dict, ready, stop, worker_no: int, options: dict) -> None:
    import logging
    logging.basicConfig(level=logging.ERROR)
    from hub.config import Settings
    from hub.context import HubContext
    from hub.ingest.worker import IngestWorker
    from hub.store.db import Database
    if options["without_delivery"]:
        # The ingest alone: no confirmations queued for case systems (what the delivery queue costs).
        import hub.delivery.queue as delivery_queue
        delivery_queue.enqueue_confirmation = delivery_queue.enqueue_confirmations = None
    database = Database.open(options.get("database_url") or f"sqlite:///{workdir}/hub.db")
    context = HubContext(Settings(database_url=database.url, data_dir=Path(workdir)), database,
                         SigningKey.generate(), SigningKey.generate(),
                         static_directory=KeyDirectory.from_json(directory_json), directory_ttl_s=60)
    worker = IngestWorker(context, host="127.0.0.1", port=port, client_id=f"bench-hub-{worker_no}", clean_start=True,
                          session_expiry_s=0, ack_qos=options["ack_qos"],
                          store_process=options["store_process"]).start()
    # The hub's CPU is its own and its store process's (when it has one).
    store = worker._store_process._process.pid if options["store_process"] else None
    store_at_start = cpu_seconds_of(store) if store else 0.0
    cpu_at_start = time.process_time()
    ready.set()
    stop.wait()
    options["cpu"].put(time.process_time() - cpu_at_start + (cpu_seconds_of(store) - store_at_start if store else 0.0))
    worker.stop()


def run_floor(port: int, workdir: str, _directory_json: dict, ready, stop, _worker_no: int, options: dict) -> None:
    db = sqlite3.connect(f"{workdir}/floor.db", check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE events (agent TEXT, id TEXT, payload BLOB)")
    pending: list[tuple[str, str, bytes]] = []
    lock = threading.Lock()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-floor", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    subscribed = threading.Event()

    def on_message(_c, _u, message):
        agent = message.topic.split("/")[3]
        document = json.loads(message.payload)
        with lock:
            pending.append((agent, document["id"], message.payload))

    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    client.on_connect = lambda c, *_a: c.subscribe(topics.SHARED_EVENTS, qos=1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    subscribed.wait(10)
    cpu_at_start = time.process_time()
    ready.set()
    while not stop.is_set():
        time.sleep(0.005)
        with lock:
            batch, pending[:] = list(pending), []
        if not batch:
            continue
        db.execute("BEGIN")
        db.executemany("INSERT INTO events VALUES (?, ?, ?)", batch)
        db.execute("COMMIT")
        by_agent: dict[str, list[dict]] = {}
        for agent, message_id, _ in batch:
            by_agent.setdefault(agent, []).append({"for_id": message_id})
        for agent, items in by_agent.items():   # the same shape as the hub's acks: one message per agent
            client.publish(topics.acks(agent), json.dumps({"body": {"acks": items}}), qos=options["ack_qos"])
    options["cpu"].put(time.process_time() - cpu_at_start)
    client.loop_stop()


# -- load generator (its own process) --------------------------------------------------------------
def generate(port: int, agents: list[tuple[str, bytes]], events_per_agent: int, rate: float | None,
             connections: int, results) -> None:
    keys = [(agent_id, SigningKey.from_pem(pem)) for agent_id, pem in agents]
    prepared: list[tuple[str, str, bytes]] = []
    for seq in range(1, events_per_agent + 1):
        for agent_id, key in keys:
            body = {"payment_id": f"{agent_id}-{seq}", "receipt_id": f"R{seq}", "office": "bench",
                    "amount_minor": 100 + seq, "currency": "EUR", "tender": "card",
                    "reference": {"format": "case", "value": f"CASE-{seq % 97}"},
                    "captured_at": "2026-11-22T10:00:00.000Z"}
            envelope = make(agent_id, seq, "payment.captured", body, key)
            prepared.append((agent_id, envelope.id, envelope.encode()))
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    lock = threading.Lock()
    everything = threading.Event()
    total = len(prepared)
    clients = []
    by_agent: dict[str, mqtt.Client] = {}
    for n in range(connections):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-agents-{n}", protocol=mqtt.MQTTv5)
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        mine = [agent_id for i, (agent_id, _) in enumerate(agents) if i % connections == n]

        def on_message(_c, _u, message):
            now = time.perf_counter()
            items = json.loads(message.payload)["body"]["acks"]
            with lock:
                for item in items:
                    if item["for_id"] not in acked:
                        acked[item["for_id"]] = now
                if len(acked) == total:
                    everything.set()

        subscribed = threading.Event()
        client.on_message = on_message
        client.on_subscribe = lambda *_a, _e=subscribed: _e.set()
        client.connect("127.0.0.1", port)
        client.loop_start()
        client.subscribe([(topics.acks(a), 1) for a in mine])
        subscribed.wait(10)
        clients.append(client)
        for agent_id in mine:
            by_agent[agent_id] = client
    start = time.perf_counter()
    cpu_at_start = time.process_time()
    interval = 1.0 / rate if rate else 0.0
    for index, (agent_id, message_id, payload) in enumerate(prepared):
        if interval:
            due = start + index * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        sent[message_id] = time.perf_counter()
        by_agent[agent_id].publish(topics.events(agent_id), payload, qos=1)
    everything.wait(120)
    loader_cpu = time.process_time() - cpu_at_start
    with lock:
        acked = dict(acked)
    end = max(acked.values()) if acked else time.perf_counter()
    latencies = sorted(acked[m] - sent[m] for m in acked if m in sent)
    for client in clients:
        client.disconnect()
        client.loop_stop()
    results.put({"events": total, "acked": len(acked), "seconds": end - start,
                 "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
                 "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
                 "mean_ms": 1000 * statistics.fmean(latencies) if latencies else None, "loader_cpu_s": loader_cpu})


def postgres_cpu_seconds(postmaster_pid: int | None) -> float:
    """CPU the PostgreSQL server has used so far: the postmaster, backends gone, backends alive."""
    if postmaster_pid is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{postmaster_pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(f) for f in fields[11:15]) / tick        # its own and its exited children's
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(child[1]) == postmaster_pid:
                total += (int(child[11]) + int(child[12])) / tick
    return total


def fresh_schema(base_url: str) -> tuple[str, str]:
    """(url, schema): an empty schema of its own for one measurement."""
    import uuid

    from sqlalchemy import create_engine, text
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}", schema


def drop_schema(base_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def measure(subject, agents, directory_json, events_per_agent, rate, connections, processes, options) -> dict:
    context = mp.get_context("spawn")
    schema = None
    if options.get("postgres_url") and subject is run_hub:
        url, schema = fresh_schema(options["postgres_url"])
        options = {**options, "database_url": url}
    try:
        return _measure(context, subject, agents, directory_json, events_per_agent, rate, connections, processes,
                        options)
    finally:
        if schema:
            drop_schema(options["postgres_url"], schema)


def _measure(context, subject, agents, directory_json, events_per_agent, rate, connections, processes,
             options) -> dict:
    postmaster = options.get("postmaster_pid") if subject is run_hub else None
    with tempfile.TemporaryDirectory() as workdir:
        broker = Mosquitto(Path(workdir) / "broker").start()
        stop, results = context.Event(), context.Queue()
        options = {**options, "cpu": context.Queue()}
        readies = [context.Event() for _ in range(processes)]
        subjects = [context.Process(target=subject, args=(broker.port, workdir, directory_json, readies[n], stop, n, options))
                    for n in range(processes)]
        for n, process in enumerate(subjects):
            process.start()
            if n == 0:
                readies[0].wait(30)   # the first one creates the database
        try:
            if not all(ready.wait(30) for ready in readies):
                raise RuntimeError(f"{subject.__name__} did not start")
            loader = context.Process(target=generate, args=(broker.port, agents, events_per_agent, rate,
                                                            connections, results))
            broker_cpu_at_start = cpu_seconds_of(broker.process.pid)
            database_cpu_at_start = postgres_cpu_seconds(postmaster)
            loader.start()
            outcome = results.get(timeout=300)
            outcome["broker_cpu_s"] = cpu_seconds_of(broker.process.pid) - broker_cpu_at_start
            outcome["database_cpu_s"] = postgres_cpu_seconds(postmaster) - database_cpu_at_start
            loader.join(30)
        finally:
            stop.set()
            for process in subjects:
                process.join(30)
                if process.is_alive():
                    process.terminate()
            broker.stop()
    outcome["subject_cpu_s"] = sum(options["cpu"].get(timeout=10) for _ in range(processes))
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--events", type=int, default=20000, help="flood phase: events in total")
    parser.add_argument("--rate", type=float, default=1000.0, help="paced phase: events per second")
    parser.add_argument("--paced-seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8, help="MQTT connections the agents share")
    parser.add_argument("--hub-workers", default="1",
                        help="hub ingest processes sharing $share/hub/… (the floor is always one subscriber); "
                             "several counts, e.g. 1,2,3, are measured one after the other")
    parser.add_argument("--postgres", nargs="?", const="own", default=None, metavar="URL",
                        help="store into PostgreSQL: at URL, or (no URL) in a cluster of the bench's own")
    parser.add_argument("--ack-qos", type=int, choices=(0, 1), default=1, help="QoS of the acks (both subjects)")
    parser.add_argument("--store-in-thread", action="store_true",
                        help="store in the worker's own process (tests do) instead of a store process (hub serve does)")
    parser.add_argument("--without-delivery", action="store_true",
                        help="do not queue webhook confirmations (measures the ingest alone)")
    args = parser.parse_args()
    worker_counts = [int(n) for n in str(args.hub_workers).split(",") if n.strip()]
    directory = KeyDirectory()
    agents = []
    for n in range(args.agents):
        key = SigningKey.generate()
        agent_id = f"bench-{n:04d}"
        directory.add(key.public_entry(agent_id, ["event"]))
        agents.append((agent_id, key.to_pem()))
    flood_per_agent = max(1, args.events // args.agents)
    paced_per_agent = max(1, int(args.rate * args.paced_seconds) // args.agents)
    options = {"ack_qos": args.ack_qos, "without_delivery": args.without_delivery,
               "store_process": not args.store_in_thread}
    cluster = None
    if args.postgres == "own":
        from tests.chaos.pg_cluster import PgCluster
        folder = Path(tempfile.mkdtemp(prefix="cp-bench-pg-"))
        folder.chmod(0o755)      # the server runs as the postgres user when the bench runs as root
        cluster = PgCluster(folder / "pg").start()
        options.update(postgres_url=cluster.url, postmaster_pid=cluster.postmaster_pid())
    elif args.postgres:
        options.update(postgres_url=args.postgres)
    try:
        rows = run_subjects(args, agents, directory, flood_per_agent, paced_per_agent, options, worker_counts)
    finally:
        if cluster is not None:
            cluster.stop()
            cluster.remove_socket_dir()
            shutil.rmtree(cluster.folder.parent, ignore_errors=True)
    report(args, rows, flood_per_agent, paced_per_agent, options)


def run_subjects(args, agents, directory, flood_per_agent, paced_per_agent, options, worker_counts) -> list:
    """[(name, store, workers, flood, paced)]: a floor before each hub measurement."""
    plan = []
    if options.get("postgres_url"):
        plan.append(("sqlite", 1))
        plan += [("postgresql", n) for n in worker_counts]
    else:
        plan += [("sqlite", n) for n in worker_counts]
    rows = []
    for store, workers in plan:
        for name, subject, processes in (("floor (bare paho → SQLite)", run_floor, 1),
                                         (f"hub ingest ×{workers}, {store}", run_hub, workers)):
            subject_options = options if store == "postgresql" else {**options, "postgres_url": None,
                                                                     "postmaster_pid": None}
            flood = measure(subject, agents, directory.to_json(), flood_per_agent, None, args.connections, processes,
                            subject_options)
            paced = measure(subject, agents, directory.to_json(), paced_per_agent, args.rate, args.connections,
                            processes, subject_options)
            rows.append((name, store if subject is run_hub else "floor", workers, flood, paced))
    return rows


def report(args, rows, flood_per_agent, paced_per_agent, options) -> None:
    print(f"\n{args.agents} agents over {args.connections} connections; acks QoS {args.ack_qos}; "
          f"{'without' if args.without_delivery else 'with'} webhook confirmations queued; flood {flood_per_agent * args.agents} "
          f"events; paced {paced_per_agent * args.agents} events at {args.rate:.0f}/s; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    print(f"{'subject':34} {'events/s':>9} {'÷ floor':>8} {'acked':>12} {'flood p50':>10} {'flood p99':>10} "
          f"{'paced p50':>10} {'paced p99':>10}")
    floor_rate = None
    sqlite_one = None
    for name, store, workers, flood, paced in rows:
        rate = flood["acked"] / flood["seconds"]
        if store == "floor":
            floor_rate = rate
        ratio = rate / floor_rate if floor_rate else float("nan")
        if store == "sqlite" and workers == 1:
            sqlite_one = rate
        print(f"{name:34} {rate:9.0f} {ratio:8.2f} {flood['acked']:>6}/{flood['events']:<5} {flood['p50_ms']:9.1f}ms "
              f"{flood['p99_ms']:9.1f}ms {paced['p50_ms']:9.1f}ms {paced['p99_ms']:9.1f}ms")
        if store != "floor":
            label = f"{workers} worker{'s' if workers > 1 else ''}, {store}"
            record("hub_ingest", f"floor beside hub ingest, {label}", round(floor_rate), "events/s")
            record("hub_ingest", f"hub ingest, {label}", round(rate), "events/s", ">= 3000", rate >= 3000)
            target = 0.8 if (store, workers) == ("sqlite", 1) else 0.5
            record("hub_ingest", f"hub / floor, {label}", round(ratio, 2), "ratio", f">= {target}", ratio >= target)
            if store == "postgresql" and sqlite_one:
                record("hub_ingest", f"postgresql / sqlite, {label}", round(rate / sqlite_one, 2), "ratio",
                       ">= 0.6" if workers == 1 else "", rate / sqlite_one >= 0.6 if workers == 1 else None)
            record("hub_ingest", f"ack latency p99 at {args.rate:.0f}/s, {label}", round(paced["p99_ms"], 1), "ms")
    print("CPU seconds in the flood (user+sys): subject (hub processes and store processes) / PostgreSQL server / "
          "load generator / broker; and per event (µs)")
    for name, _store, _workers, flood, _ in rows:
        per = 1e6 / flood["acked"]
        database = flood.get("database_cpu_s", 0.0)
        print(f"{name:34} {flood['subject_cpu_s']:6.1f} s {database:6.1f} s {flood['loader_cpu_s']:6.1f} s "
              f"{flood['broker_cpu_s']:6.1f} s   {(flood['subject_cpu_s'] + database) * per:6.0f} µs/event "
              f"(subject + database)")
    if sqlite_one:
        for _name, store, workers, flood, _ in rows:
            if store == "postgresql":
                rate = flood["acked"] / flood["seconds"]
                print(f"postgresql ×{workers} / sqlite ×1 = {rate / sqlite_one:.2f}"
                      + (" (target ≥ 0.6)" if workers == 1 else ""))


if __name__ == "__main__":
    main()
