"""A whole office site as real processes: broker, hub, case system, terminal, scanner, agent.

    site = Site(Path("/tmp/office"))
    site.start()                       # mosquitto (hub TLS config), hub, case-system sim,
                                       # ZVT terminal sim on a pty, scanner sim, enrolled agent config
    agent = site.start_agent(headless=True, pay_from="-")
    ...
    site.stop()                        # leaves nothing running (process groups, TERM then KILL)

Every part runs as its own `counterpay …` process in its own process group, so a
`kill -9` of one is real and hits only that part.  Chaos controls: `kill_agent(sig)` /
`start_agent(extra_env={"CP_CRASH_AT": …})` / `restart_agent()`, `kill_hub()` / `start_hub()`,
`stop_broker(hard=…)` / `start_broker()`, `stop_case_system()` / `start_case_system()` (same
port and secret), `case_fault(mode, …)`, `stop_terminal()` / `start_terminal()` (note: a new
terminal process starts its scenario and trace numbers afresh; its ledger file is appended).  Logs go to `<workdir>/logs/<part>.log`, pid files to
`<workdir>/pids/`.  Ports are free loopback ports picked at start.  The readers
(`hub_payments`, `hub_deliveries`, `case_record`, `terminal_ledger`, `agent_db`) are
what tests and the demo's summary check invariants with.

With `SitePlan(desk_operator="demo-clerk")` the site creates that desk user with a PIN
at the hub (counterpay/site_operators.py; `site.desk_login` is (username, PIN)) and
the desk needs a login (`[desk] login = true`); without it the desk works anonymously.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

from counterpay.site_process import (Child, SiteError, counterpay_command, free_port, port_answers, reap_leftovers,
                                     running_in, wait_for)
from counterpay.site_files import cases_toml, demo_catalogue, hub_toml, scenario_toml
from protocol import webhooks

__all__ = ["Site", "SiteError", "SitePlan"]

CASE_SYSTEM = "demo-cases"


@dataclass
class SitePlan:
    """What the site is made of; defaults give the newcomer's demo."""
    agent_id: str = "demo-desk-1"
    office: str = "Demo office"
    terminal_steps: list[dict] = field(default_factory=lambda: [{"action": "approve"}])
    terminal_t4_s: float = 3.0          # the simulator answers at once; a lost answer shows within seconds
    case_patterns: list[dict] = field(default_factory=lambda: [{"on": "case_ref", "regex": "DEMO-.+"},
                                                              {"on": "order_id", "regex": ".+"}])
    outbox_window: int = 200
    printer: bool = True
    agent_broker_port: int = 0          # what the agent dials for the broker; 0: the broker itself
                                        # (chaos tests put a relay here that cuts the agent's network)
    activate_cards: bool = True         # switch card payments on for the demo's service step at setup
    desk_operator: str | None = None    # a desk user the site creates with a PIN; the desk then needs a login
    desk_operator_role: str = "desk"    # desk (clerk, cashier) or technician (technician mode)


class Site:
    def __init__(self, workdir: Path, plan: SitePlan | None = None):
        self.workdir = Path(workdir).resolve()
        self.plan = plan or SitePlan()
        self.hub_dir = self.workdir / "hub"
        self.hub_config = self.hub_dir / "hub.toml"
        self.agent_dir = self.workdir / "agent"
        self.agent_config = self.agent_dir / "agent.toml"
        self.key_dir = self.agent_dir / "keys"
        self.ledger_path = self.workdir / "terminal-ledger.jsonl"
        self.case_record_path = self.workdir / "case-system-record.jsonl"
        self.scenario_path = self.workdir / "terminal-scenario.toml"
        self.terminal_device = self.workdir / "terminal.pty"      # stable symlinks to the ptys
        self.scanner_device = self.workdir / "scanner.pty"
        self.scanner_input = self.workdir / "scanner.in"          # a named pipe: each line written is one scan
        self.receipts_path = self.agent_dir / "receipts.txt"
        self.logs = self.workdir / "logs"
        self.children: dict[str, Child] = {}
        self.api_port = self.broker_port = self.case_port = 0
        self.admin_token = ""
        self.admin_password = ""       # the console's first admin (username admin)
        self.webhook_secret = ""
        self.desk_login: tuple[str, str] | None = None     # (username, PIN) of plan.desk_operator
        self.started = False

    # -- addresses ---------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def case_url(self) -> str:
        return f"http://127.0.0.1:{self.case_port}"

    def log(self, part: str) -> Path:
        return self.logs / f"{part}.log"

    # -- the whole site ------------------------------------------------------------------------
    def start(self) -> "Site":
        self.workdir.mkdir(parents=True, exist_ok=True)
        reap_leftovers(self.workdir)
        for old in (self.ledger_path, self.case_record_path):
            old.unlink(missing_ok=True)
        try:
            self._init_hub()
            self.start_broker()
            # Started together, then waited for: each part takes seconds to import, and there are two cores.
            for start in (self.start_hub, self.start_case_system, self.start_terminal, self.start_scanner):
                start(wait=False)
            self._await_hub()
            self._await_case_system()
            self._await_terminal()
            self._await_scanner()
            self._publish_catalogue()
            if self.plan.activate_cards:
                self._activate_card_payments()
            self._register_case_system()
            if self.plan.desk_operator:
                # Before the desk enrolls: the first roster its office gets already lists the operator.
                from counterpay.site_operators import ensure_desk_operator
                self.desk_login = ensure_desk_operator(self, self.plan.desk_operator, self.plan.desk_operator_role)
            self._enroll_agent()
            self._write_agent_config()
        except BaseException:
            self.stop()
            raise
        self.started = True
        return self

    def stop(self) -> list[tuple[int, str]]:
        """Stop every part (agent first, broker last); returns what is still running (should be nothing)."""
        for name in ("agent", "scanner", "terminal", "case-system", "hub"):
            child = self.children.pop(name, None)
            if child is not None:
                child.stop()
        self.stop_broker()
        reap_leftovers(self.workdir)
        return running_in(self.workdir)

    def __enter__(self) -> "Site":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- hub and broker ------------------------------------------------------------------------
    def _init_hub(self) -> None:
        self.hub_dir.mkdir(parents=True, exist_ok=True)
        token_file = self.workdir / "admin-token"
        if not self.hub_config.exists():
            self.api_port, self.broker_port = free_port(), free_port()
            self.hub_config.write_text(hub_toml(self.hub_dir, self.api_port, self.broker_port), encoding="utf-8")
        else:   # a kept site: same files, same ports (if still free)
            text = self.hub_config.read_text(encoding="utf-8")
            self.api_port = int(re.search(r"\[api\][^\[]*port = (\d+)", text).group(1))
            self.broker_port = int(re.search(r"\[mqtt\][^\[]*port = (\d+)", text).group(1))
        done = subprocess.run(counterpay_command("hub", "init", "--dir", str(self.hub_dir)), capture_output=True,
                              text=True, timeout=120)
        (self.logs).mkdir(parents=True, exist_ok=True)
        self.log("hub-init").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise SiteError(f"`counterpay hub init` failed ({done.returncode}): {done.stderr.strip()[-800:]}")
        found = re.search(r"admin API token[^:]*:\s*(\S+)", done.stdout)
        if found:
            token_file.write_text(found.group(1) + "\n", encoding="utf-8")
            token_file.chmod(0o600)
        if not token_file.exists():
            raise SiteError(f"`hub init` printed no admin token and {token_file} is missing; remove {self.workdir}")
        self.admin_token = token_file.read_text(encoding="utf-8").strip()
        # The console's first admin: its password is printed once too, so it is kept beside the token.
        password_file = self.workdir / "admin-password"
        found = re.search(r"(?m)^  password: (\S+)$", done.stdout)
        if found:
            password_file.write_text(found.group(1) + "\n", encoding="utf-8")
            password_file.chmod(0o600)
        self.admin_password = password_file.read_text(encoding="utf-8").strip() if password_file.exists() else ""

    def start_broker(self) -> None:
        done = subprocess.run(counterpay_command("hub", "up", "--config", str(self.hub_config), "--background"),
                              capture_output=True, text=True, timeout=60)
        with open(self.log("broker-up"), "a", encoding="utf-8") as log:
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            raise SiteError(f"`counterpay hub up` failed: {(done.stdout + done.stderr).strip()[-800:]}")

    def stop_broker(self, hard: bool = False) -> None:
        """`hub down` (or SIGKILL with hard=True: a broker crash, no clean persistence write)."""
        pid_file = self.hub_dir / "broker" / "mosquitto.pid"
        if hard and pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass
            pid_file.unlink(missing_ok=True)
            return
        if pid_file.exists():
            subprocess.run(counterpay_command("hub", "down", "--config", str(self.hub_config)), capture_output=True,
                           timeout=60)

    def start_hub(self, wait: bool = True) -> None:
        self.children["hub"] = Child("hub", counterpay_command("hub", "serve", "--config", str(self.hub_config)),
                                     self.workdir)
        if wait:
            self._await_hub()

    def _await_hub(self) -> None:
        wait_for(lambda: _http_ok(f"{self.api_url}/openapi.json"), 60, f"the hub API on {self.api_url}",
                 process=self.children["hub"])

    def kill_hub(self, sig: int = signal.SIGKILL) -> None:
        child = self.children.pop("hub", None)
        if child is not None:
            child.kill(sig) if sig == signal.SIGKILL else child.stop(sig=sig)

    def _publish_catalogue(self) -> None:
        """A small fee catalogue, published (retained) so the clerk screen has positions to choose."""
        if self.api("GET", "/api/v1/catalogue").status_code != 200:
            draft = self.api_json("POST", "/api/v1/catalogue/versions", json=demo_catalogue())
            self.api_json("POST", f"/api/v1/catalogue/versions/{draft['version']}/publish")

    def _activate_card_payments(self) -> None:
        """Card payments for the demo's service step, as an office and a reviewer would switch them on
        (contract, submit, approve: hub/activation), so the demo desk offers the card tender."""
        office = quote(self.plan.office, safe="")
        step = demo_catalogue()["price_lists"][0]["code"]
        if self.api("GET", f"/api/v1/card-applications/{office}/{step}").status_code == 200:
            return          # a site started again keeps what it had
        self.api_json("POST", "/api/v1/card-contracts", json={
            "office": self.plan.office, "acquirer": "Demo acquirer", "contract_no": "DEMO-1",
            "valid_from": "2020-01-01"})
        self.api_json("POST", f"/api/v1/card-applications/{office}/{step}/submit",
                      json={"text": "the demo site's own step"})
        self.api_json("POST", f"/api/v1/card-applications/{office}/{step}/approve")

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin_token}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.api_url}{path}", headers=headers, timeout=30, **kwargs)

    def api_json(self, method: str, path: str, **kwargs):
        response = self.api(method, path, **kwargs)
        if response.status_code >= 400:
            raise SiteError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    # -- case system ---------------------------------------------------------------------------
    def start_case_system(self, wait: bool = True) -> None:
        if not self.case_port:
            self.case_port = free_port()
            self.webhook_secret = webhooks.new_secret()
        cases = self.workdir / "cases.toml"
        cases.write_text(cases_toml(), encoding="utf-8")
        self.children["case-system"] = Child(
            "case-system", counterpay_command("sim", "case-system", "--port", str(self.case_port), "--secret",
                                              self.webhook_secret, "--cases", str(cases),
                                              "--record", str(self.case_record_path)),
            self.workdir, stdout_path=self.logs / "case-system.out")
        if wait:
            self._await_case_system()

    def _await_case_system(self) -> None:
        wait_for(lambda: port_answers(self.case_port), 30, f"the case-system simulator on port {self.case_port}",
                 process=self.children["case-system"])

    def stop_case_system(self, hard: bool = False) -> None:
        child = self.children.pop("case-system", None)
        if child is not None:
            child.kill() if hard else child.stop()

    def _register_case_system(self) -> None:
        # The simulator listens on loopback: the hub calls it only because it is marked internal.
        body = {"name": CASE_SYSTEM, "patterns": self.plan.case_patterns, "webhook_url": f"{self.case_url}/webhook",
                "lookup_url": f"{self.case_url}/cases/{{ref}}", "secret": self.webhook_secret, "internal": True}
        response = self.api("POST", "/api/v1/case-systems", json=body)
        if response.status_code == 409 or (response.status_code == 400 and "exist" in response.text):
            response = self.api("PATCH", f"/api/v1/case-systems/{CASE_SYSTEM}",
                                json={"webhook_url": body["webhook_url"], "lookup_url": body["lookup_url"],
                                      "rotate_secret": self.webhook_secret, "enabled": True, "internal": True})
        if response.status_code >= 300:
            raise SiteError(f"registering the case system at the hub answered {response.status_code}: "
                            f"{response.text[:500]}")

    def case_fault(self, mode: str, **options) -> dict:
        """Tell the case-system simulator to fail: mode ok|fail|slow|gone|down (+ status, delay_s, for_s, count…)."""
        response = httpx.post(f"{self.case_url}/admin/mode", json={"mode": mode, **options}, timeout=10)
        response.raise_for_status()
        return response.json()

    def case_record(self) -> list[dict]:
        """Every webhook request the case system received (its JSON-lines record)."""
        return _json_lines(self.case_record_path)

    # -- terminal and scanner ------------------------------------------------------------------
    def start_terminal(self, wait: bool = True) -> None:
        self.scenario_path.write_text(scenario_toml(self.plan.terminal_steps), encoding="utf-8")
        self.terminal_device.unlink(missing_ok=True)
        self.children["terminal"] = Child(
            "terminal", counterpay_command("sim", "terminal", "--protocol", "zvt", "--pty", "--link",
                                           str(self.terminal_device), "--scenario", str(self.scenario_path),
                                           "--record", str(self.ledger_path), "--log", str(self.log("terminal"))),
            self.workdir, stdout_path=self.logs / "terminal.out")
        if wait:
            self._await_terminal()

    def _await_terminal(self) -> None:
        child = self.children["terminal"]
        self.terminal_pty = child.first_line("device: ")
        wait_for(self.terminal_device.exists, 10, f"the terminal's link {self.terminal_device}", process=child)

    def stop_terminal(self, hard: bool = False) -> None:
        child = self.children.pop("terminal", None)
        if child is not None:
            child.kill() if hard else child.stop()

    def terminal_ledger(self) -> list[dict]:
        """The simulated terminal's truthful record: every financial request, charged or not."""
        return _json_lines(self.ledger_path)

    def start_scanner(self, wait: bool = True) -> None:
        self.scanner_device.unlink(missing_ok=True)
        self.children["scanner"] = Child(
            "scanner", counterpay_command("sim", "scanner", "--pty", "--link", str(self.scanner_device),
                                          "--from", str(self.scanner_input)),
            self.workdir, stdout_path=self.logs / "scanner.out")
        if wait:
            self._await_scanner()

    def _await_scanner(self) -> None:
        self.scanner_pty = self.children["scanner"].first_line("device: ")

    def scan(self, payload: str) -> None:
        """Scan a code with the simulated scanner (what `echo CODE > scanner.in` does)."""
        with open(self.scanner_input, "w", encoding="utf-8") as pipe:
            pipe.write(payload.replace("\n", "\\n") + "\n")

    # -- agent ---------------------------------------------------------------------------------
    def _enroll_agent(self) -> None:
        if (self.key_dir / "client.pem").exists():
            return
        token = self.api_json("POST", "/api/v1/enrollment-tokens",
                              json={"office": self.plan.office, "agent_id": self.plan.agent_id,
                                    "note": "counterpay demo"})["token"]
        done = subprocess.run(counterpay_command("agent", "enroll", "--hub", self.api_url, "--token", token,
                                                 "--agent-id", self.plan.agent_id, "--dir", str(self.key_dir)),
                              capture_output=True, text=True, timeout=60)
        self.log("agent-enroll").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise SiteError(f"`counterpay agent enroll` failed: {(done.stdout + done.stderr).strip()[-800:]}")

    def _write_agent_config(self) -> None:
        p = self.plan
        lines = ["# written by counterpay.site for this site", "[agent]", f'id = "{p.agent_id}"',
                 f'office = "{p.office}"', f'data_dir = "{self.agent_dir}"', f'key_dir = "{self.key_dir}"',
                 'currency = "EUR"', 'tenders = ["card", "cash"]', 'mode = "clerk"', "",
                 "[hub]", f'broker = "mqtts://127.0.0.1:{p.agent_broker_port or self.broker_port}"', f'api = "{self.api_url}"',
                 f"window = {p.outbox_window}", "ack_timeout_s = 10", "",
                 "[terminal]", 'protocol = "zvt"', f'device = "{self.terminal_device}"', "timeout_s = 60",
                 f"t4_s = {float(p.terminal_t4_s)}", ""]
        if p.printer:
            lines += ["[printer]", 'kind = "file"', f'path = "{self.receipts_path}"', ""]
        lines += ["[desk]", f"login = {'true' if p.desk_operator else 'false'}", ""]
        self.agent_dir.mkdir(parents=True, exist_ok=True)
        self.agent_config.write_text("\n".join(lines), encoding="utf-8")

    def agent_command(self, *, headless: bool = True, pay_from: str | None = None, mode: str = "clerk",
                      scanner: bool = False) -> list[str]:
        command = counterpay_command("agent", "run", "--config", str(self.agent_config), "--mode", mode)
        if headless:
            command.append("--headless")
        if pay_from:
            command += ["--pay-from", pay_from]
        if scanner:
            command += ["--scanner", str(self.scanner_device)]
        return command

    def start_agent(self, headless: bool = True, extra_env: dict | None = None, pay_from: str | None = "-",
                    stdout=subprocess.PIPE) -> Child:
        """The headless agent as a child process; with pay_from '-' its stdin takes JSON payment lines.
        Its stdout (JSON lines: ready, progress, outcome) is a pipe the caller must read; stdout=None
        sends it to logs/agent.log instead (a pipe nobody reads blocks the agent once full)."""
        child = self.children["agent"] = Child(
            "agent", self.agent_command(headless=headless, pay_from=pay_from), self.workdir, env=extra_env,
            stdin=subprocess.PIPE if pay_from == "-" else subprocess.DEVNULL, stdout=stdout)
        return child

    def start_agent_ui(self, mode: str = "clerk") -> Child:
        """The agent with its Textual UI on our terminal (same process group: it owns the foreground)."""
        child = self.children["agent"] = Child(
            "agent", self.agent_command(headless=False, mode=mode, scanner=True), self.workdir, own_group=False,
            inherit_stdio=True)
        return child

    def kill_agent(self, sig: int = signal.SIGKILL) -> int | None:
        child = self.children.pop("agent", None)
        if child is None:
            return None
        if sig == signal.SIGKILL:
            child.kill()
        else:
            return child.stop(sig=sig)
        return child.popen.returncode

    def restart_agent(self, **options) -> Child:
        self.kill_agent(signal.SIGTERM)
        return self.start_agent(**options)

    def agent_db(self) -> sqlite3.Connection:
        """The agent's SQLite store, read-only (safe while the agent runs: WAL)."""
        return sqlite3.connect(f"file:{self.agent_dir / 'agent.db'}?mode=ro", uri=True, timeout=10)

    # -- hub readers ---------------------------------------------------------------------------
    def hub_payments(self, **filters) -> list[dict]:
        """Every payment the hub stored (paged through /api/v1/payments)."""
        return self._paged("/api/v1/payments", "payments", filters)

    def hub_deliveries(self, **filters) -> list[dict]:
        """The hub's webhook deliveries (paged through /api/v1/deliveries)."""
        return self._paged("/api/v1/deliveries", "deliveries", filters)

    def _paged(self, path: str, key: str, filters: dict) -> list[dict]:
        found: list[dict] = []
        while True:
            page = self.api_json("GET", path, params={**filters, "limit": 1000, "offset": len(found)})
            rows = page[key] if isinstance(page, dict) else page
            found += rows
            if len(rows) < 1000:
                return found

def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _json_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue        # a line being written right now
    return rows
