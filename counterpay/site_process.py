"""One child process of a demo/test site, started as a real `counterpay …` (or mosquitto) process.

Each child runs in its own process group (session) so that stopping it also stops
whatever it started, and so that a `kill -9` in a chaos test hits exactly one part.
Its pid goes to `<workdir>/pids/<name>.pid` so that a site left behind by a crashed
demo can still be cleaned up (`reap_leftovers`), and its output to `<workdir>/logs/`.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STOP_GRACE_S = 8.0


def counterpay_command(*args: str) -> list[str]:
    """The `counterpay` command of this very installation (no PATH lookup needed)."""
    return [sys.executable, "-m", "counterpay", *args]


LISTEN_PORTS_FROM = 20000


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range.

    A port the kernel hands out for bind(0) comes from the range it also gives outgoing
    connections their source ports from: between choosing it and the broker or hub binding
    it, any client on the machine (another test process, say) may take it.  Below that
    range only a listener can, and a random choice makes two listeners choosing alike rare."""
    low, _ = _ephemeral_range()
    if low <= LISTEN_PORTS_FROM + 1000:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    chooser = random.SystemRandom()
    while True:
        port = chooser.randrange(LISTEN_PORTS_FROM, low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(check, timeout_s: float, what: str, interval_s: float = 0.05, process: "Child | None" = None):
    """Poll `check()` until it returns something truthy; fail with `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if process is not None and not process.alive():
            raise SiteError(f"{process.name} exited with code {process.popen.returncode} while waiting for {what}; "
                            f"see {process.log_path}")
        if time.monotonic() > deadline:
            raise SiteError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


class SiteError(RuntimeError):
    """A part of the site did not start or did not answer; the message says which and where to look."""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def stop_group(pid: int, grace_s: float = STOP_GRACE_S, sig: int = signal.SIGTERM) -> None:
    """Signal the process group led by `pid`, then SIGKILL what is left after grace_s."""
    for target in (lambda s: os.killpg(pid, s), lambda s: os.kill(pid, s)):
        try:
            target(sig)
            break
        except (ProcessLookupError, PermissionError):
            continue
    deadline = time.monotonic() + grace_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)   # also any grandchild left in the group
    except (ProcessLookupError, PermissionError):
        pass
    if pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Child:
    """A started child: Popen, log file, pid file."""

    def __init__(self, name: str, command: list[str], workdir: Path, *, env: dict | None = None,
                 stdin=subprocess.DEVNULL, stdout_path: Path | None = None, own_group: bool = True,
                 stdout=None, stderr_to_log: bool = True, cwd: Path | None = None, inherit_stdio: bool = False):
        self.name = name
        self.workdir = workdir
        self.log_path = workdir / "logs" / f"{name}.log"
        self.pid_path = workdir / "pids" / f"{name}.pid"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        self.stdout_path = stdout_path
        self.own_group = own_group
        log = open(self.log_path, "ab")
        out = stdout if stdout is not None else (open(stdout_path, "wb") if stdout_path else log)
        if inherit_stdio:       # a UI in the foreground: our terminal is its terminal (Textual draws on stderr)
            stdin, out, stderr_to_log = None, None, False
        try:
            self.popen = subprocess.Popen(command, stdin=stdin, stdout=out, stderr=log if stderr_to_log else None,
                                          env={**os.environ, **(env or {})}, start_new_session=own_group,
                                          cwd=str(cwd) if cwd else None)
        finally:
            log.close()
            if out is not None and out is not log and hasattr(out, "close") and stdout is None:
                out.close()
        self.pid_path.write_text(f"{self.popen.pid}\n")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def first_line(self, prefix: str, timeout_s: float = 20.0) -> str:
        """The value of the first stdout line starting with `prefix` (e.g. 'device: ')."""
        def look() -> str | None:
            try:
                for line in self.stdout_path.read_text(errors="replace").splitlines():
                    if line.startswith(prefix):
                        return line[len(prefix):].strip()
            except OSError:
                pass
            return None
        return wait_for(look, timeout_s, f"{self.name} to print '{prefix.strip()}'", process=self)

    def stop(self, grace_s: float = STOP_GRACE_S, sig: int = signal.SIGTERM) -> int | None:
        if self.alive():
            if self.own_group:
                stop_group(self.pid, grace_s, sig)
            else:
                self.popen.send_signal(sig)
                try:
                    self.popen.wait(grace_s)
                except subprocess.TimeoutExpired:
                    self.popen.kill()
        try:
            code = self.popen.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        self.pid_path.unlink(missing_ok=True)
        return code

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Hard kill (chaos): the process gets no chance to clean up."""
        try:
            (os.killpg if self.own_group else os.kill)(self.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.pid_path.unlink(missing_ok=True)


def reap_leftovers(workdir: Path) -> list[str]:
    """Stop processes a previous run in `workdir` left behind (its pid files), if they are still ours."""
    stopped = []
    pids_dir = workdir / "pids"
    candidates = list(pids_dir.glob("*.pid")) if pids_dir.exists() else []
    broker_pid = workdir / "hub" / "broker" / "mosquitto.pid"
    if broker_pid.exists():
        candidates.append(broker_pid)
    for pid_file in candidates:
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            pid_file.unlink(missing_ok=True)
            continue
        # Only a process whose command line names this site's folder: a pid may have been reused.
        if pid_alive(pid) and str(workdir) in _cmdline(pid):
            stop_group(pid)
            stopped.append(f"{pid_file.stem} (pid {pid})")
        pid_file.unlink(missing_ok=True)
    return stopped


def _ancestors() -> set[int]:
    found, pid = set(), os.getpid()
    while pid > 1:
        found.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return found


def running_in(workdir: Path) -> list[tuple[int, str]]:
    """Every live process whose command line names `workdir` (not us or our parents): what `stop()` must leave empty."""
    found, ours = [], _ancestors()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in ours:
            line = _cmdline(int(entry.name))
            if str(workdir) in line and pid_alive(int(entry.name)):
                found.append((int(entry.name), line))
    return found
