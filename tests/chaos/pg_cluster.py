"""A PostgreSQL cluster of a test's own: initdb into a folder, its own port and socket, so a test
can restart it (even `-m immediate`, a crash) without disturbing the other tests' server.

    cluster = PgCluster(workdir / "pg").start()
    url = cluster.url                    # postgresql+psycopg://postgres@127.0.0.1:PORT/counterpay
    cluster.restart(mode="immediate")    # what the server sees as a crash: recovery at start
    cluster.stop()

Run as the `postgres` OS user when the tests run as root (initdb refuses root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from counterpay.site_process import free_port, port_answers, wait_for

BIN = Path(os.environ.get("CP_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "counterpay"


class PgCluster:
    def __init__(self, folder: Path, port: int | None = None):
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.log_path = self.folder / "postgres.log"
        self.port = port or free_port()
        # Its unix socket in a short folder of its own: a socket's path may not exceed 107 bytes.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="cp-pg-"))

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-1500:]}")
        return done

    def start(self) -> "PgCluster":
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            if os.geteuid() == 0:
                owner = pwd.getpwnam("postgres")
                for folder in (self.folder, self.socket_dir):
                    os.chown(folder, owner.pw_uid, owner.pw_gid)
            self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--no-sync")
        self._start()
        self._run(str(BIN / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-tAc",
                  f"CREATE DATABASE {DATABASE}")
        return self

    def _start(self) -> None:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=300 "
                   "-c shared_buffers=32MB")
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w",
                  "-t", "60", "start")
        wait_for(lambda: port_answers(self.port), 30, f"the test's PostgreSQL on port {self.port}")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove_socket_dir(self) -> None:
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def restart(self, mode: str = "immediate") -> None:
        """Stop (`immediate`: no checkpoint, clients cut at once, crash recovery at start) and start again."""
        self.stop(mode)
        self._start()
