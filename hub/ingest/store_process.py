"""The ingest's store in a process of its own, beside the MQTT side.

One Python process could not take more than about 2,000 signed events a second on
two cores: receiving, checking and storing all held one GIL.  With `store_process`
the ingest worker keeps paho, the envelope checks and the acks, and hands each
checked batch (the envelopes' exact text) to this process, which stores it in one
transaction (`store_batch`, the same code as in-thread) and returns what to publish.
Only this process writes ingest rows, so there is no lock contention between them.

Failure: an exception in the store comes back as `StoreFailed` (saying whether the
database was busy or unreachable, or the batch itself failed) and the worker retries or
splits the batch exactly as it does in-thread.  If the process dies, the batch in
flight may or may not have been committed: it is sent again to a fresh process, and a
committed one comes back as duplicates.  Nothing is PUBACKed before the answer.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import traceback

from protocol.keys import SigningKey
from protocol.wire import Envelope
from protocol.wire.envelope import decode_accepted
from sqlalchemy.exc import OperationalError

from hub.ingest.collector import tune_for_ingest
from hub.ingest.refusals import Refusal
from hub.ingest.store import Outgoing, store_with_retries

log = logging.getLogger(__name__)


class StoreFailed(RuntimeError):
    """The store process could not store the batch; the message says why.  `transient`:
    the database was busy or unreachable, or the process died (try the batch again)."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def _serve(channel, database_url: str, event_key_pem: bytes, gap_grace_s: float) -> None:
    from hub.store.db import Database
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s hub-store %(levelname)s %(message)s")
    database = Database.open(database_url, migrate=False)
    key = SigningKey.from_pem(event_key_pem)
    tune_for_ingest()
    channel.send(("ready", None))
    try:
        while (request := channel.recv()) is not None:
            events_text, state_text, refused, attempts = request
            try:
                events = [(decode_accepted(text), text) for text in events_text]
                state = [(decode_accepted(text), text) for text in state_text]
                answer = ("ok", store_with_retries(database, events, state, key, gap_grace_s, refused=refused,
                                                   attempts=attempts))
            except OperationalError as exc:
                answer = ("busy", f"{exc!r}\n{traceback.format_exc()}")
            except Exception as exc:
                answer = ("error", f"{exc!r}\n{traceback.format_exc()}")
            channel.send(answer)
    except (EOFError, OSError):
        pass    # the worker is gone (killed, even): whatever was committed stays committed
    database.dispose()


class StoreProcess:
    def __init__(self, database_url: str, event_key: SigningKey, gap_grace_s: float):
        self.database_url, self.event_key, self.gap_grace_s = database_url, event_key, gap_grace_s
        self._context = mp.get_context("spawn")    # the worker has threads: never fork it
        self._process = None
        self._channel = None
        self._lock = threading.Lock()

    def start(self, timeout_s: float = 60.0) -> "StoreProcess":
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, name="hub-ingest-store", daemon=True,
                                        args=(theirs, self.database_url, self.event_key.to_pem(), self.gap_grace_s))
        process.start()
        theirs.close()
        if not ours.poll(timeout_s):
            process.kill()
            raise StoreFailed(f"the ingest store process did not start within {timeout_s:.0f}s")
        try:
            ours.recv()
        except EOFError:
            process.join(5)
            raise StoreFailed(f"the ingest store process exited while starting (exit code {process.exitcode}); "
                              "its log says why") from None
        self._process, self._channel = process, ours
        return self

    def store(self, events: list[tuple[Envelope, str]], state: list[tuple[Envelope, str]],
              refused: list[Refusal] = (), attempts: int = 5) -> Outgoing:
        request = ([text for _, text in events], [text for _, text in state], list(refused), attempts)
        with self._lock:
            if self._process is None or not self._process.is_alive():
                log.warning("ingest store process is not running; starting a fresh one")
                self.start()
            try:
                self._channel.send(request)
                status, answer = self._channel.recv()
            except (EOFError, OSError) as exc:
                self._process = None
                raise StoreFailed(f"the ingest store process died with a batch in hand ({exc!r}); "
                                  "it will be sent again", transient=True) from None
        if status != "ok":
            raise StoreFailed(answer, transient=status == "busy")
        return answer

    def stop(self) -> None:
        with self._lock:
            if self._process is None:
                return
            try:
                self._channel.send(None)
            except OSError:
                pass
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
            self._process = None
