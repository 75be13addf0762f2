"""The simulated ZVT terminal: the PT role of our codec, honouring the scenario's steps.

`serve(link, scenario, ledger, log)` answers one cash register on `link` until the link
is gone.  Every financial request (payment, refund, reversal) takes the next scenario
step and is recorded in the ledger *before* any answer is sent, so the ledger is the
truth about what was charged even when the answer is then lost on purpose.  Status
enquiry and repeat receipt tell the truth about the last transaction; end of day totals
what was approved since the last one.  Receipts go to the cash register only when its
registration's config byte says it prints them (payment and administration receipts
each have their bit); otherwise the terminal prints them itself.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime

from protocol.terminal.zvt import (NEED_DATA, PAUSED, Abort, AbortRequest, Ack, Authorisation,
                                   Bmps, Completion, DeliveryFailed, EndOfDay, IndividualTotals,
                                   IntermediateStatus, LogOff, Nack, PrintTextBlock,
                                   ProtocolError, Refund, Registration, RemoteProtocolError,
                                   RepeatReceipt, Reversal, Role, StatusEnquiry,
                                   StatusInformation, ZvtConnection, encode_message, frame_apdu)
from protocol.terminal.zvt.bmp import CARD_TYPE_SLOT
from protocol.terminal.zvt.framing import Delivered
from protocol.terminal.zvt.messages import (CONFIG_ECR_PRINTS_ADMIN, CONFIG_ECR_PRINTS_PAYMENT,
                                            DEFAULT_CONFIG_BYTE, UnknownMessage)
from protocol.terminal.zvt.texts import describe, format_amount
from simulators.terminal.ledger import Ledger
from simulators.terminal.scenario import Scenario
from simulators.terminal.sim_link import SimLinkClosed, write_paced
from simulators.sim_log import SimLog

READ_CHUNK = 4096
POLL_S = 0.2
ACK_WAIT_S = 5.0      # how long the PT waits for the ECR's 80 00 / link ACK (T3)
SW_VERSION = "counterpay-sim 1"
BUSY = 0x9C           # "please wait": still busy with the previous transaction
NO_TRANSACTION = 0x83  # "function not possible": nothing to repeat, not simulated
UNKNOWN_RECEIPT = 0xB5
ALREADY_REVERSED = 0xB4
ABORTED = 0x6C


class _Hangup(Exception):
    """The scenario ended this conversation on purpose (lost answer, pulled cable)."""


class ZvtTerminal:
    def __init__(self, link, scenario: Scenario, ledger: Ledger, log: SimLog):
        self.link, self.scenario, self.ledger, self.log = link, scenario, ledger, log
        self.conn = ZvtConnection(Role.PT, link.transport)
        self.ident = scenario.terminal
        self.pace: dict = {}          # how the current step writes (slow line, split)
        self.abort_requested = False
        # What the cash register's last registration asked for (which receipts it prints).
        self.config_byte = DEFAULT_CONFIG_BYTE
        # Commands that arrived in the same read as the 80 00 we were waiting for: they
        # are served next, never dropped (a TCP segment can carry both).
        self.backlog: deque = deque()

    # -- wire ---------------------------------------------------------------------------

    def _flush(self, meaning: str = "") -> None:
        data = self.conn.data_to_send()
        if data:
            self.log.sent(data, meaning)
            write_paced(self.link, data, **self.pace) if self.pace else self.link.write(data)

    def _read_events(self, timeout_s: float) -> list:
        """The cash register's events still buffered (they waited for our answer), else those
        one read of the line brings."""
        events = self._pull(b"")
        if events:
            return events
        data = self.link.read(READ_CHUNK, timeout_s)
        if not data:
            return []
        self.conn.receive_data(data)
        return self._pull(data)

    def _pull(self, data: bytes) -> list:
        events: list = []
        try:
            while (event := self.conn.next_event()) is not NEED_DATA and event is not PAUSED:
                events.append(event)
        except RemoteProtocolError as exc:
            self.log.received(data, "; ".join([*map(describe, events),
                                               f"protocol error: {exc}; conversation reset"]))
            self.conn.reset()
            return []
        if data:
            self.log.received(data, "; ".join(describe(e) for e in events))
        elif events:
            self.log.note("taken from the buffer: " + "; ".join(describe(e) for e in events))
        self._flush("link ACK/NAK")
        return events

    def _send(self, msg, *, expect_ack: bool) -> bool:
        """Send `msg`; wait for its link ACK and, if expected, the ECR's 80 00."""
        self.conn.send(msg)
        self._flush(describe(msg))
        delivered = self.link.transport != "serial"
        acked = not expect_ack
        deadline = time.monotonic() + ACK_WAIT_S
        while not (delivered and acked):
            if time.monotonic() > deadline:
                self.log.note(f"no answer from the cash register to {msg.NAME}; giving up")
                self._abandon()
                return False
            for event in self._read_events(POLL_S):
                if isinstance(event, Delivered):
                    delivered = True
                elif isinstance(event, DeliveryFailed):
                    self.log.note("frame refused three times; conversation abandoned")
                    self._abandon()
                    return False
                elif isinstance(event, Ack):
                    delivered = acked = True
                elif isinstance(event, AbortRequest):
                    self.abort_requested = True
                    self.conn.send(Ack())
                    self._flush("ack of abort request")
                else:
                    self.backlog.append(event)
            self._flush()
        return True

    def _abandon(self) -> None:
        """Give up the conversation.  Commands set aside meanwhile were accepted by the state
        machine the reset forgets: answering them later would break the protocol (and kill
        the simulator), so they go too; the cash register repeats them after its timeout."""
        self.conn.reset()
        self.backlog.clear()

    def _listen(self, seconds: float) -> None:
        """While the customer types the PIN: the cash register may ask us to abort."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.abort_requested:
            for event in self._read_events(min(POLL_S, max(0.0, end - time.monotonic()))):
                if isinstance(event, AbortRequest):
                    self.abort_requested = True
                    self._send(Ack(), expect_ack=False)
                elif not isinstance(event, (Ack, Delivered)):
                    self.backlog.append(event)

    # -- serving ------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            events = list(self.backlog) or self._read_events(POLL_S)
            self.backlog.clear()
            for event in events:
                handler = {
                    Registration: self._registration, Authorisation: self._payment,
                    Refund: self._payment, Reversal: self._payment,
                    EndOfDay: self._end_of_day, StatusEnquiry: self._status_enquiry,
                    RepeatReceipt: self._repeat_receipt, LogOff: self._log_off,
                    UnknownMessage: self._not_supported,
                }.get(type(event))
                if handler is None:
                    continue
                try:
                    handler(event)
                except _Hangup:
                    pass
                except ProtocolError as exc:
                    # A cash register that died mid-conversation and a new one talking: the
                    # terminal drops the conversation and stays up (the ledger already says
                    # what was charged); the register's own timeouts and recovery take over.
                    self.log.note(f"protocol error while answering: {exc}; conversation reset")
                    self._abandon()
                    break
                finally:
                    self.pace = {}

    def _registration(self, msg: Registration) -> None:
        self.config_byte = msg.config_byte
        self._send(Ack(), expect_ack=False)
        # PA00P015 06 00: the completion names the terminal's currency only when the
        # registration carried one.
        currency = self.ident.currency_numeric if msg.currency is not None else None
        self._send(Completion(bmps=Bmps(terminal_id=self.ident.terminal_id, currency=currency)),
                   expect_ack=True)

    def _receipt(self, lines: list[str], receipt_type: int, *, admin: bool) -> bool:
        """Hand the receipt to the cash register if its registration said it prints this
        kind (config byte 02 payment, 04 administration); else the terminal prints it."""
        if not self.config_byte & (CONFIG_ECR_PRINTS_ADMIN if admin else CONFIG_ECR_PRINTS_PAYMENT):
            self.log.note(f"receipt printed on the terminal ({len(lines)} lines): the cash "
                          "register's registration does not take it")
            return True
        return self._send(PrintTextBlock(lines, receipt_type), expect_ack=True)

    def _not_supported(self, msg: UnknownMessage) -> None:
        self.log.note(f"command {msg.cls_:02X} {msg.instr:02X} is not simulated")
        self._send(Nack(NO_TRANSACTION), expect_ack=False)

    def _log_off(self, msg: LogOff) -> None:
        self._send(Ack(), expect_ack=False)

    def _status_enquiry(self, msg: StatusEnquiry) -> None:
        self._send(Ack(), expect_ack=False)
        self._send(Completion(sw_version=SW_VERSION, terminal_status=0x00,
                              bmps=Bmps(terminal_id=self.ident.terminal_id)), expect_ack=True)

    # -- the last transaction, told truthfully ------------------------------------------

    def _last_transaction(self) -> dict | None:
        processed = [r for r in self.ledger.requests()
                     if r["protocol"] == "zvt" and r["trace_no"] is not None]
        return processed[-1] if processed else None

    def _transaction_bmps(self, record: dict) -> Bmps:
        at = datetime.fromisoformat(record["at"].replace("Z", "+00:00")).astimezone()
        code = int(record["result_code"], 16)
        b = Bmps(result_code=code, amount=record["amount_minor"],
                 currency=self.ident.currency_numeric, trace_no=record["trace_no"],
                 time=at.strftime("%H%M%S"), date=at.strftime("%m%d"),
                 terminal_id=self.ident.terminal_id)
        if code == 0:
            b.receipt_no = record["receipt_no"]
            b.turnover_no = record["receipt_no"]
            b.card_type = self.ident.card_type_code
            b.card_name = self.ident.card_type
            b.pan = self.ident.masked_pan
            b.card_seq_no = 1
            b.aid = "A0000359"
        return b

    def _receipt_lines(self, record: dict, copy: bool = False) -> list[str]:
        kind = {"payment": "PAYMENT", "refund": "REFUND", "reversal": "REVERSAL"}[record["kind"]]
        code = record["result_code"]
        lines = ["counterpay terminal simulator", f"TID {self.ident.terminal_id}",
                 f"{kind}  {format_amount(record['amount_minor'], self.ident.currency)}",
                 f"{self.ident.card_type} {self.ident.masked_pan}",
                 f"trace {record['trace_no']}"]
        if record["receipt_no"] is not None:
            lines.append(f"receipt {record['receipt_no']}")
        lines.append("APPROVED" if code == "00" else f"DECLINED ({code})")
        return (["** COPY **"] if copy else []) + lines

    def _repeat_receipt(self, msg: RepeatReceipt) -> None:
        self._send(Ack(), expect_ack=False)
        last = self._last_transaction()
        if last is None:
            self.log.note("repeat receipt: no transaction yet")
            self._send(Abort(NO_TRANSACTION), expect_ack=True)
            return
        self.log.note(f"repeat receipt: last transaction trace {last['trace_no']}, "
                      f"{'charged' if last['charged'] else 'not charged'}")
        if self._send(StatusInformation(self._transaction_bmps(last)), expect_ack=True) and \
                self._receipt(self._receipt_lines(last, copy=True), 2, admin=True):
            self._send(Completion(bmps=Bmps(terminal_id=self.ident.terminal_id)), expect_ack=True)

    # -- end of day ---------------------------------------------------------------------

    def _end_of_day(self, msg: EndOfDay) -> None:
        self._send(Ack(), expect_ack=False)
        self._send(IntermediateStatus(0x0E), expect_ack=True)
        batch_receipts = [r["receipt_no"] for r in self._open_batch() if r["receipt_no"]]
        totals = self.ledger.close_batch()
        slot = CARD_TYPE_SLOT.get(self.ident.card_type_code, "other")
        individual = IndividualTotals(min(batch_receipts, default=0), max(batch_receipts, default=0),
                                      {slot: (max(totals.count, 0), max(totals.total_minor, 0))}
                                      if totals.count or totals.total_minor else {})
        self.log.note(f"end of day: {totals.count} transactions, "
                      f"{format_amount(totals.total_minor, self.ident.currency)}")
        now = datetime.now()
        info = Bmps(result_code=0, amount=max(totals.total_minor, 0),
                    currency=self.ident.currency_numeric, trace_no=self._next_trace(),
                    time=now.strftime("%H%M%S"), date=now.strftime("%m%d"),
                    terminal_id=self.ident.terminal_id, totals=individual.encode())
        lines = ["END OF DAY", f"TID {self.ident.terminal_id}", f"count {totals.count}",
                 f"total {format_amount(totals.total_minor, self.ident.currency)}"]
        if self._send(StatusInformation(info), expect_ack=True) and \
                self._receipt(lines, 3, admin=True):
            self._send(Completion(bmps=Bmps(terminal_id=self.ident.terminal_id)), expect_ack=True)

    def _open_batch(self) -> list[dict]:
        records = self.ledger.records()
        start = max((i for i, r in enumerate(records) if r["record"] == "end_of_day"), default=-1)
        return [r for r in records[start + 1:] if r["record"] == "request" and r["charged"]]

    def _next_trace(self) -> int:
        last = self.ledger.last_trace_no()
        return self.ident.first_trace_no if last is None else last % 999999 + 1

    def _next_receipt(self) -> int:
        last = self.ledger.last_receipt_no()
        return self.ident.first_receipt_no if last is None else last % 9999 + 1

    # -- financial requests -------------------------------------------------------------

    def _payment(self, msg) -> None:
        kind = {Authorisation: "payment", Refund: "refund", Reversal: "reversal"}[type(msg)]
        step = self.scenario.next_step()
        self.log.note(f"{kind}: scenario step {step.describe()}")
        self.abort_requested = False
        reverses = original = None
        amount = msg.bmps.amount or 0
        if kind == "reversal":
            original = self.ledger.find_charge(msg.bmps.receipt_no or -1)
            reverses = msg.bmps.receipt_no
            amount = original["amount_minor"] if original else 0

        def record(charged: bool, code: str | None, processed: bool = True) -> dict:
            return self.ledger.record_request(
                protocol="zvt", kind=kind, amount_minor=amount, currency=self.ident.currency,
                charged=charged, step=step.action, reverses=reverses,
                receipt_no=self._next_receipt() if charged else None,
                trace_no=self._next_trace() if processed else None, result_code=code,
                card_type=self.ident.card_type if charged else None,
                masked_pan=self.ident.masked_pan if charged else None)

        if step.action == "no_answer":
            self.conn.reset()  # the frame was received, but the terminal never answers it
            record(False, None, processed=False)
            return
        if step.action == "busy":
            record(False, f"{BUSY:02X}", processed=False)
            self._send(Nack(BUSY), expect_ack=False)
            return
        if step.action == "slow_line":
            self.pace = {"bytes_per_second": step.bytes_per_second}
        elif step.action == "split":
            self.pace = {"chunk_bytes": step.chunk_bytes, "gap_s": step.gap_s}
        if not self._send(Ack(), expect_ack=False):
            record(False, None, processed=False)
            return
        self._send(IntermediateStatus(0x0A), expect_ack=True)
        if step.action == "slow_pin":
            end = time.monotonic() + step.seconds
            while time.monotonic() < end and not self.abort_requested:
                self._send(IntermediateStatus(0x01), expect_ack=True)
                self._listen(min(1.0, max(0.0, end - time.monotonic())))
        if self.abort_requested:
            self.log.note("the cash register asked to abort before the card was charged")
            record(False, f"{ABORTED:02X}")
            self._send(Abort(ABORTED), expect_ack=True)
            return
        if kind == "reversal" and (original is None or self.ledger.is_reversed(reverses)):
            code = UNKNOWN_RECEIPT if original is None else ALREADY_REVERSED
            result = record(False, f"{code:02X}")
            self._answer_declined(result, code)
            return
        if step.action == "decline":
            code = int(step.result_code or "05", 16)
            result = record(False, f"{code:02X}")
            self._answer_declined(result, code)
            return
        result = record(True, "00")  # the card is charged: from here on the ledger says so
        self.log.note(f"charged {format_amount(amount, self.ident.currency)}, "
                      f"receipt {result['receipt_no']}, trace {result['trace_no']}")
        info = StatusInformation(self._transaction_bmps(result))
        if step.action == "lose_answer":
            self.log.note("scenario: the answer is lost (nothing more is sent)")
            self.conn.reset()
            raise _Hangup
        if step.action == "cable_pull":
            self._pull_cable(info)
        if step.action == "bad_checksum":
            if self.link.transport == "serial":
                self.conn.framer.corrupt_crc_times = step.times
                self.log.note(f"scenario: the next {step.times} frame(s) carry a wrong CRC")
            else:
                self.log.note("scenario: bad_checksum has no CRC to spoil on TCP; answering normally")
        if self._send(info, expect_ack=True) and \
                self._receipt(self._receipt_lines(result), 2, admin=False):
            self._send(Completion(bmps=Bmps(terminal_id=self.ident.terminal_id)), expect_ack=True)

    def _answer_declined(self, result: dict, code: int) -> None:
        if self._send(StatusInformation(self._transaction_bmps(result)), expect_ack=True):
            self._send(Abort(code), expect_ack=True)

    def _pull_cable(self, info: StatusInformation) -> None:
        apdu = encode_message(info)
        wire = frame_apdu(apdu) if self.link.transport == "serial" else apdu
        half = wire[:max(1, len(wire) // 2)]
        self.log.sent(half, "scenario: cable pulled half-way through the status information")
        self.link.write(half)
        self.conn.reset()
        if hasattr(self.link, "hang_up"):
            self.link.hang_up()
            raise SimLinkClosed("cable pulled (scenario)")
        raise _Hangup


def serve(link, scenario: Scenario, ledger: Ledger, log: SimLog) -> None:
    ZvtTerminal(link, scenario, ledger, log).run()
