"""The site's desk operator: a hub user with the desk role and a PIN, and its login at the agent.

    username, pin = ensure_desk_operator(site, "demo-clerk")   # `hub user create` + `hub user set-pin`
    operator = login_headless(agent_child, username, pin)      # {"login": …} until the desk has heard the roster

The PIN is random (6 digits, not a run or a repeat: the hub's own rules) and kept in
`<workdir>/desk-pin` beside the admin's password, so a kept site logs in the same way.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time

from counterpay.site_process import SiteError, counterpay_command

ROSTER_WAIT_S = 60.0
"""How long a fresh desk may take to hear its office's roster (the hub looks every 5 s)."""


def _random_pin() -> str:
    while True:
        pin = f"{secrets.randbelow(10**6):06d}"
        if len(set(pin)) > 1 and pin not in "01234567890123" and pin not in "98765432109876":
            return pin


def _hub_user(site, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(counterpay_command("hub", "user", *args, "--config", str(site.hub_config)),
                          input=stdin, capture_output=True, text=True, timeout=60)


def ensure_desk_operator(site, username: str, role: str = "desk") -> tuple[str, str]:
    """Create the desk user (or technician) of the site's office with a PIN (once); returns (username, PIN)."""
    pin_file = site.workdir / "desk-pin"
    if pin_file.exists():
        return username, pin_file.read_text(encoding="utf-8").strip()
    pin = _random_pin()
    made = _hub_user(site, "create", "--username", username, "--role", role, "--office", site.plan.office,
                     "--password-stdin", stdin=secrets.token_urlsafe(18) + "\n")
    if made.returncode not in (0, 1):       # 1: it exists from an earlier run; its PIN is set anew
        raise SiteError(f"`counterpay hub user create` failed: {(made.stdout + made.stderr).strip()[-600:]}")
    done = _hub_user(site, "set-pin", "--username", username, "--pin-stdin", stdin=pin + "\n")
    if done.returncode != 0:
        raise SiteError(f"`counterpay hub user set-pin` failed: {(done.stdout + done.stderr).strip()[-600:]}")
    pin_file.write_text(pin + "\n", encoding="utf-8")
    pin_file.chmod(0o600)
    return username, pin


def login_headless(child, username: str, pin: str, timeout_s: float = ROSTER_WAIT_S) -> dict:
    """Log the headless agent (`--pay-from -`) in; returns its login line.  Events before it
    (ready, status) are skipped; a desk that has not heard the roster yet is asked again."""
    deadline = time.monotonic() + timeout_s
    while True:
        child.popen.stdin.write((json.dumps({"login": username, "secret": pin}) + "\n").encode())
        child.popen.stdin.flush()
        while True:
            raw = child.popen.stdout.readline()
            if not raw:
                raise SiteError(f"the agent stopped before logging in; see {child.log_path}")
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "login":
                break
        if event.get("operator") or event.get("refused") != "no_roster" or time.monotonic() > deadline:
            return event
        time.sleep(0.5)
