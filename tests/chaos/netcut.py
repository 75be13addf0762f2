"""A TCP relay between the agent and the broker that a chaos test can cut: the agent's network.

Stopping the broker cuts everyone (the hub too); a real desk loses *its own* line while
the hub and broker run on.  The agent's config names this relay's port (SitePlan's
`agent_broker_port`); bytes pass through unchanged (TLS stays end to end).

    relay = NetCut(listen_port, target_port).start()
    relay.cut("drop")     # a dead line: connections stay open, nothing passes (keepalive finds it)
    relay.cut("reset")    # a pulled cable at a router that answers: connections closed, new ones refused
    relay.heal()
"""

from __future__ import annotations

import selectors
import socket
import threading


class NetCut:
    def __init__(self, listen_port: int, target_port: int, host: str = "127.0.0.1"):
        self.listen_port, self.target_port, self.host = listen_port, target_port, host
        self.mode = "ok"              # ok | drop | reset
        self.cuts = 0
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._held: set[socket.socket] = set()     # dialled during a "drop": never answered
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._server = socket.create_server((host, listen_port), reuse_port=False)
        self._server.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="netcut", daemon=True)

    def start(self) -> "NetCut":
        self._selector.register(self._server, selectors.EVENT_READ)
        self._thread.start()
        return self

    def cut(self, mode: str = "drop") -> None:
        assert mode in ("drop", "reset")
        with self._lock:
            self.mode = mode
            self.cuts += 1
            if mode == "reset":
                for sock in list(self._pairs):
                    self._close(sock)

    def heal(self) -> None:
        with self._lock:
            # Connections held through a "drop" carried nothing meanwhile; a real line that
            # comes back finds the peers' TCP state wherever keepalive left it: close them so
            # both ends see the loss (as they would after their keepalive expired).
            if self.mode == "drop":
                for sock in list(self._pairs) + list(self._held):
                    self._close(sock)
            self.mode = "ok"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            for sock in list(self._pairs) + list(self._held):
                self._close(sock)
        self._server.close()

    # -- the relay loop ----------------------------------------------------------------------
    def _close(self, sock: socket.socket) -> None:
        self._held.discard(sock)
        other = self._pairs.pop(sock, None)
        for s in (sock, other):
            if s is None:
                continue
            self._pairs.pop(s, None)
            try:
                self._selector.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()

    def _accept(self) -> None:
        try:
            client, _ = self._server.accept()
        except BlockingIOError:
            return
        if self.mode == "reset":
            client.close()
            return
        if self.mode == "drop":        # the handshake goes nowhere (TLS waits for its timeout)
            client.setblocking(False)
            self._selector.register(client, selectors.EVENT_READ)
            self._held.add(client)
            return
        try:
            upstream = socket.create_connection((self.host, self.target_port), timeout=2)
        except OSError:
            client.close()            # the broker itself is down: the agent sees a refusal
            return
        for s in (client, upstream):
            s.setblocking(False)
            self._selector.register(s, selectors.EVENT_READ)
        self._pairs[client], self._pairs[upstream] = upstream, client

    def _relay(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(sock)
            return
        if self.mode == "drop":
            return                     # swallowed: the line is dead, nobody is told
        try:
            self._pairs[sock].setblocking(True)
            self._pairs[sock].sendall(data)
            self._pairs[sock].setblocking(False)
        except (OSError, KeyError):
            self._close(sock)

    def _swallow(self, sock: socket.socket) -> None:
        try:
            if not sock.recv(65536):
                self._close(sock)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._close(sock)

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                with self._lock:
                    if key.fileobj is self._server:
                        self._accept()
                    elif key.fileobj in self._pairs:
                        self._relay(key.fileobj)
                    elif key.fileobj in self._held:
                        self._swallow(key.fileobj)
