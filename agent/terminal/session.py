"""The desk's card terminal as the agent holds it: one open driver, one conversation at a time.

A terminal answers one request at a time, so everything that talks to it (a payment,
the technician's status check, the end-of-day batch close) holds `lock` for the whole
conversation.  Payments of every tender take it too, so a desk takes one payment at a
time.  The driver is opened on first use and opened afresh after a payment that may
have lost the port (`reopen`); why it could not be opened is kept in `error` for the
status bar.

    session = TerminalSession(config.terminal, journal, on_change=notify)
    with session.lock:
        driver = session.driver()      # None when the desk has no terminal
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from agent.config import TerminalConfig
from agent.terminal.base import EndOfDayResult, TerminalDriver, TerminalError, TerminalJournal

log = logging.getLogger("counterpay.agent.terminal")
CHECK_WAIT_S = 0.5      # the technician's check gives way to a payment in progress


class TerminalSession:
    def __init__(self, settings: TerminalConfig | None, journal: TerminalJournal, *,
                 on_change: Callable[[], None] = lambda: None):
        self.settings = settings
        self.journal = journal
        self.on_change = on_change
        self.lock = threading.Lock()          # one conversation with the terminal at a time
        self.error: str | None = None         # why the driver could not be opened, if it could not
        self._driver: TerminalDriver | None = None
        self._driver_lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return self.settings is not None

    @property
    def is_open(self) -> bool:
        return self._driver is not None

    @property
    def busy(self) -> bool:
        return self.lock.locked()

    def driver(self, quiet: bool = False) -> TerminalDriver | None:
        """The open driver, opening it if needed; None without a terminal (or, `quiet`, when it
        cannot be opened).  Raises TerminalError when it cannot be opened."""
        if self.settings is None:
            return None
        with self._driver_lock:
            if self._driver is None:
                from agent.terminal.factory import open_driver
                t = self.settings
                try:
                    self._driver = open_driver(t.protocol, t.device, self.journal, **t.options)
                    self.error = None
                except TerminalError as exc:
                    self.error = str(exc)
                    self.on_change()
                    if quiet:
                        return None
                    raise
            return self._driver

    def reopen(self) -> None:
        """Open the port afresh (cable pulled, USB re-enumerated): the status shows the truth and
        recovery of an unknown outcome talks to the live port."""
        self.drop()
        self.driver(quiet=True)

    def drop(self) -> None:
        with self._driver_lock:
            if self._driver is not None:
                try:
                    self._driver.close()
                except Exception:  # closing a dead port must not stop the caller
                    log.debug("closing the terminal driver failed", exc_info=True)
            self._driver = None

    # conversations other than payments ------------------------------------------------
    def check(self) -> dict:
        """The technician's check: ask the terminal for its status (no money moves).
        Refused while a payment talks to the terminal: one conversation at a time."""
        if self.settings is None:
            return {"ok": False, "message": "no terminal is configured ([terminal] in the agent's configuration)"}
        if not self.lock.acquire(timeout=CHECK_WAIT_S):
            return {"ok": False, "message": "the terminal is busy with a payment; check again when it is done"}
        try:
            driver = self.driver()
            if driver is None:
                return {"ok": False, "message": f"the terminal at {self.settings.device} cannot be opened: "
                                                f"{self.error or 'unknown reason'}"}
            status = driver.status()
        except TerminalError as exc:
            return {"ok": False, "message": f"the terminal did not answer: {exc}"}
        finally:
            self.lock.release()
        return {"ok": status.ok, "message": status.message, "terminal_id": status.terminal_id,
                "busy": status.busy, "last_receipt_no": status.last_receipt_no,
                "protocol": self.settings.protocol, "device": self.settings.device}

    def close_batch(self) -> EndOfDayResult:
        """Close the terminal's batch, waiting for a payment in progress to finish.
        Raises TerminalError when the terminal cannot be opened or does not answer."""
        with self.lock:
            return self.close_batch_locked()

    def close_batch_locked(self) -> EndOfDayResult:
        """`close_batch` for a caller that holds `lock` already (the end of day numbers the
        batch under the same lock, so no payment can start between the close and the count)."""
        driver = self.driver()
        if driver is None:
            raise TerminalError("no terminal is configured")
        return driver.end_of_day()
