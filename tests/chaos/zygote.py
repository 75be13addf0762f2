"""A pre-loaded launcher of agent processes, so hundreds of kill -9 cost no import time each.

`counterpay agent run` spends about a second importing (pydantic, cryptography, paho,
sqlite-utils…) before it touches its store: with ≥ 200 kills per short run that is most
of the budget.  The zygote imports all of it once, then, per request on its Unix socket,
forks a child that becomes exactly `counterpay agent <argv>` (click's own entry point,
same code path) in its own session, with the stdin/stdout/stderr passed to it over the
socket.  Each agent is a real, separate process: `kill -9` of it is real, its SQLite,
MQTT and pty connections are opened after the fork, and it shares nothing with others.

    python -m tests.chaos.zygote SOCKET        # prints "ready: SOCKET" when it accepts requests

Request (one per connection): JSON {"argv": [...], "env": {...}, "unset": [...]} with three
file descriptors (SCM_RIGHTS): stdin, stdout, stderr.  Answer: JSON {"pid": N}.
Children are reaped by the zygote, which appends "pid exit-code" to SOCKET.exits (-9 for
SIGKILL); the caller sees a death as EOF on the child's stdout.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sys
import traceback


def _preload() -> None:
    import agent.cli  # noqa: F401  (click group and its option parsing)
    import agent.service  # noqa: F401  (store, journal, outbox, sync client, drivers)
    import agent.terminal.factory  # noqa: F401
    import agent.receipts.printer  # noqa: F401
    import escpos.printer  # noqa: F401  (the file printer builds ESC/POS bytes)


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the agent; never returns."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        for key in request.get("unset", []):
            os.environ.pop(key, None)
        os.environ.update(request.get("env") or {})
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
        from agent.cli import agent
        agent.main(args=request["argv"], prog_name="counterpay agent", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(path: str) -> None:
    _preload()
    exits = open(path + ".exits", "a", buffering=1, encoding="utf-8")

    def reap(*_):
        # Every child's end, "pid exit-code" (-9: SIGKILL), so the harness can tell a kill -9
        # at a crash point from the agent dying of an error.
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            exits.write(f"{pid} {os.waitstatus_to_exitcode(status)}\n")
    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    server.bind(path)
    server.listen(16)
    print(f"ready: {path}", flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            message, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
            try:
                request = json.loads(message)
            except json.JSONDecodeError as exc:
                conn.sendall(json.dumps({"error": f"not JSON: {exc}"}).encode())
                for fd in fds:
                    os.close(fd)
                continue
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _child(request, fds)
            for fd in fds:
                os.close(fd)
            conn.sendall(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    serve(sys.argv[1])
