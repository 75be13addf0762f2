"""A hub of several processes on a PostgreSQL of its own, for the chaos run of issue 16.

    site = WorkerSite(workdir, workers=3).start()
    # PostgreSQL (tests/chaos/pg_cluster.py), mosquitto with the hub's TLS configuration,
    # `hub serve --role api --role jobs --worker api`, N × `hub serve --role ingest
    # --role delivery --worker wN` (one configuration file for all), the case-system
    # simulator answering slowly enough that two requests of one case in flight at once
    # would show in its record
    site.kill_worker(n); site.start_worker(n)
    site.cluster.restart()
    site.stop()

The readers (`stored_payments`, `deliveries`, `case_record`) are what the invariants are
checked from: the database itself, and what the case system received.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from counterpay.site_files import hub_toml
from hub.pki.setup import issue_worker_cert
from hub.setup import init_hub
from counterpay.site_process import (Child, SiteError, counterpay_command, free_port, port_answers, reap_leftovers,
                                     running_in, wait_for)
from protocol import webhooks
from tests.chaos.pg_cluster import PgCluster

CASE_SYSTEM = "fleet-cases"
CASE_PREFIX = "FLEET"


class WorkerSite:
    def __init__(self, workdir: Path, workers: int = 3, case_delay_s: float = 0.03):
        self.workdir = Path(workdir).resolve()
        self.hub_dir = self.workdir / "hub"
        self.config = self.hub_dir / "hub.toml"
        self.record_path = self.workdir / "case-system-record.jsonl"
        self.workers = workers
        self.case_delay_s = case_delay_s
        self.cluster = PgCluster(self.workdir / "pg")
        self.children: dict[str, Child] = {}
        self.api_port = self.broker_port = self.case_port = 0
        self.admin_token = ""
        self.secret = webhooks.new_secret()
        self.restarts: dict[str, int] = {}
        self._log_mark: dict[str, int] = {}       # each worker's log size when it was last started

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    # -- the whole site -------------------------------------------------------------------
    def start(self) -> "WorkerSite":
        self.workdir.mkdir(parents=True, exist_ok=True)
        reap_leftovers(self.workdir)
        try:
            self.cluster.start()
            self._init_hub()
            self._run("hub", "up", "--config", str(self.config), "--background")
            self._start_case_system()
            self.start_api()
            for n in range(1, self.workers + 1):
                self.start_worker(n, wait=False)
            wait_for(lambda: port_answers(self.case_port), 30, "the case-system simulator")
            wait_for(self._api_answers, 90, f"the hub API on {self.api_url}", process=self.children["api"])
            self._register_case_system()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> list[tuple[int, str]]:
        for name in list(self.children):
            self.children.pop(name).stop()
        if (self.hub_dir / "broker" / "mosquitto.pid").exists():
            subprocess.run(counterpay_command("hub", "down", "--config", str(self.config)), capture_output=True,
                           timeout=60)
        try:
            self.cluster.stop()
        except RuntimeError:
            pass
        self.cluster.remove_socket_dir()
        reap_leftovers(self.workdir)
        return [p for p in running_in(self.workdir) if "postgres" not in p[1]]

    def _run(self, *args: str) -> str:
        done = subprocess.run(counterpay_command(*args), capture_output=True, text=True, timeout=180)
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        with open(self.workdir / "logs" / "commands.log", "a", encoding="utf-8") as log:
            log.write(f"$ counterpay {' '.join(args)}\n{done.stdout}{done.stderr}\n")
        if done.returncode != 0:
            raise SiteError(f"`counterpay {' '.join(args)}` failed: {(done.stdout + done.stderr).strip()[-800:]}")
        return done.stdout

    def _init_hub(self) -> None:
        self.hub_dir.mkdir(parents=True, exist_ok=True)
        self.api_port, self.broker_port = free_port(), free_port()
        config = hub_toml(self.hub_dir, self.api_port, self.broker_port).replace(
            f'url = "sqlite:///{self.hub_dir / "hub.db"}"', f'url = "{self.cluster.url}"')
        # A short time limit: a killed worker's rows come back within seconds, not 40 s.
        config += "\n[delivery]\nrequest_timeout_s = 2\npoll_interval_s = 0.2\n"
        self.config.write_text(config, encoding="utf-8")
        # In this process, not as commands: each command costs seconds of imports on a busy machine.
        # The certificates come before `hub up`, which writes their CNs into the broker's ACL.
        out = "\n".join(init_hub(self.hub_dir))
        self.admin_token = re.search(r"admin API token[^:]*:\s*(\S+)", out).group(1)
        for name in ["api", *(f"w{n}" for n in range(1, self.workers + 1))]:
            issue_worker_cert(self.hub_dir, name)

    # -- hub processes ------------------------------------------------------------------
    def start_api(self) -> None:
        self.children["api"] = Child("api", counterpay_command(
            "hub", "serve", "--config", str(self.config), "--role", "api", "--role", "jobs", "--worker", "api"),
            self.workdir)

    def _api_answers(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start_worker(self, n: int, wait: bool = True) -> None:
        name = f"w{n}"
        log_path = self.workdir / "logs" / f"{name}.log"
        self._log_mark[name] = log_path.stat().st_size if log_path.exists() else 0
        self.children[name] = Child(name, counterpay_command(
            "hub", "serve", "--config", str(self.config), "--role", "ingest", "--role", "delivery",
            "--worker", name), self.workdir)
        self.restarts[name] = self.restarts.get(name, -1) + 1
        if wait:
            wait_for(lambda: self.worker_up(n), 90, f"hub worker {name} to start", process=self.children[name])

    def worker_up(self, n: int) -> bool:
        """Started and running its roles (it logs so once ingest is subscribed)."""
        name = f"w{n}"
        child = self.children.get(name)
        if child is None or not child.alive():
            return False
        with open(child.log_path, "rb") as log:
            log.seek(self._log_mark.get(name, 0))
            return b"hub serve: roles" in log.read()

    def kill_worker(self, n: int) -> None:
        self.children.pop(f"w{n}").kill()

    def revive(self) -> list[str]:
        """Start again any worker that exited on its own (what systemd's Restart= does); returns their names."""
        gone = [n for n in range(1, self.workers + 1)
                if f"w{n}" in self.children and not self.children[f"w{n}"].alive()]
        for n in gone:
            self.children.pop(f"w{n}")
            self.start_worker(n, wait=False)
        return [f"w{n}" for n in gone]

    def workers_up(self) -> list[int]:
        return [n for n in range(1, self.workers + 1) if self.worker_up(n)]

    # -- case system ------------------------------------------------------------------------
    def _start_case_system(self) -> None:
        self.case_port = free_port()
        self.children["case-system"] = Child("case-system", counterpay_command(
            "sim", "case-system", "--port", str(self.case_port), "--secret", self.secret, "--record",
            str(self.record_path), "--mode", "slow", "--delay", str(self.case_delay_s)), self.workdir,
            stdout_path=self.workdir / "logs" / "case-system.out")

    def _register_case_system(self) -> None:
        body = {"name": CASE_SYSTEM, "patterns": [{"on": "case_ref", "regex": f"{CASE_PREFIX}-.+"}],
                "webhook_url": f"http://127.0.0.1:{self.case_port}/webhook", "secret": self.secret,
                "internal": True}
        response = httpx.post(f"{self.api_url}/api/v1/case-systems", json=body, timeout=30,
                              headers={"Authorization": f"Bearer {self.admin_token}"})
        if response.status_code >= 300:
            raise SiteError(f"registering the case system answered {response.status_code}: {response.text[:400]}")

    def case_record(self) -> list[dict]:
        rows = []
        if self.record_path.exists():
            for line in self.record_path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return rows

    # -- fleet --------------------------------------------------------------------------------
    def fleet(self, *, agents: int, rate: float, duration_s: float, cases_per_agent: int = 3,
              seed: int | None = None) -> subprocess.Popen:
        """`counterpay sim fleet` in the background; its JSON summary on stdout, its sent log in the workdir."""
        return subprocess.Popen(counterpay_command(
            "sim", "fleet", "--hub", self.api_url, "--admin-token", self.admin_token, "--agents", str(agents),
            "--rate", str(rate), "--duration", str(duration_s), "--dir", str(self.workdir / "fleet"),
            "--case-prefix", CASE_PREFIX, "--cases-per-agent", str(cases_per_agent),
            "--seed", str(seed if seed is not None else random.randrange(1 << 20)),
            "--sent-log", str(self.sent_log), "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @property
    def sent_log(self) -> Path:
        return self.workdir / "fleet-sent.jsonl"

    def sent(self) -> list[str]:
        return [json.loads(line)["event_id"] for line in self.sent_log.read_text().splitlines() if line.strip()]

    # -- the database's own record ------------------------------------------------------------
    def _query(self, sql: str) -> list[dict]:
        engine = create_engine(self.cluster.url)
        try:
            with engine.connect() as conn:
                return [dict(r) for r in conn.execute(text(sql)).mappings()]
        finally:
            engine.dispose()

    def stored_payments(self) -> list[dict]:
        return self._query("SELECT message_id, agent_id FROM payments WHERE agent_id LIKE 'fleet-%'")

    def deliveries(self) -> list[dict]:
        return self._query("SELECT id, event_id, webhook_id, case_key, status FROM deliveries ORDER BY id")
