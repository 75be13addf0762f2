"""One ZVT command run to its end over a link: the I/O loop around the sans-I/O codec.

`run_command(conn, link, command)` sends the command, acknowledges every message of the
terminal (intermediate status, status information, print lines), reports progress, and
returns a `Conversation` with what the terminal said.  When the terminal's answer does
not arrive or cannot be read it raises `AnswerMissing`, which carries what was heard
before: unless that includes the terminal's status information (its result), the
caller of a financial command must treat the outcome as unknown.  `NotDelivered` means the terminal
provably never accepted the command (it NAKed every repetition of the frame).

Retransmission policy: a frame the terminal NAKed is repeated (up to 3 times; a NAK
proves it was not taken).  A frame whose ACK simply never came is repeated only when it
is not a financial command: the terminal may have received it and be charging the card.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from agent.terminal.link import Link, LinkClosed
from protocol.terminal.zvt import (NEED_DATA, PAUSED, Abort, AbortRequest, Ack, Completion,
                                   CorruptFrame, Delivered, DeliveryFailed, FrameRejected,
                                   IntermediateStatus, Message, Nack, PrintLine, PrintTextBlock,
                                   RemoteProtocolError, State, StatusInformation, ZvtConnection)
from protocol.terminal.zvt.messages import UnknownMessage
from protocol.terminal.zvt.texts import describe, intermediate_text

READ_CHUNK = 4096
MAX_POLL_S = 0.25


class AnswerMissing(Exception):
    """No complete answer: timeout, link gone, or garbled beyond repair.

    `heard` is the part of the conversation that did arrive (None when not known).
    """

    def __init__(self, message: str, heard: "Conversation | None" = None):
        super().__init__(message)
        self.heard = heard


class NotDelivered(Exception):
    """The terminal refused the command's frame every time: it never received it."""


@dataclass
class Conversation:
    accepted: bool = False                 # the terminal answered 80 00
    refused: int | None = None             # 84 xx: the command was not accepted
    status: list[StatusInformation] = field(default_factory=list)
    completion: Completion | None = None
    abort: int | None = None               # 06 1E result code
    receipt_lines: list[str] = field(default_factory=list)

    @property
    def result(self) -> StatusInformation | None:
        return self.status[-1] if self.status else None


Trace = Callable[[str, bytes, str], None]


def _write(link: Link, conn: ZvtConnection, trace: Trace | None, meaning: str = "") -> None:
    data = conn.data_to_send()
    if data:
        if trace:
            trace("->", data, meaning)
        link.write(data)


def run_command(conn: ZvtConnection, link: Link, command: Message, *, financial: bool,
                on_progress: Callable[[str], None] = lambda text: None,
                trace: Trace | None = None,
                abort_wanted: Callable[[], bool] = lambda: False) -> Conversation:
    """Run `command` to its end; `abort_wanted()` true asks the terminal to abort (06 B0)."""
    conv = Conversation()
    abort_sent = False
    conn.send(command)
    _write(link, conn, trace, describe(command))
    delivery = _Delivery(link.transport != "serial")
    timer = conn.timer()
    deadline = time.monotonic() + (timer.seconds if timer else 0)

    def finished() -> bool:
        return conn.state is State.IDLE and not conn.framer.awaiting_ack

    while not finished():
        if not abort_sent and conn.state is State.PT_ACTIVE and abort_wanted():
            # 06 B0 is the one message the ECR may send while the PT is master; the PT
            # answers with its Abort (06 1E) if the card was not charged yet, or finishes.
            conn.send(AbortRequest())
            _write(link, conn, trace, "abort request")
            abort_sent = True
            timer = conn.timer()
            deadline = time.monotonic() + (timer.seconds if timer else 0)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timer = conn.timer()
            if conn.state is State.IDLE and (conv.completion or conv.abort is not None
                                             or conv.refused is not None):
                break  # only the link ACK of our final 80 00 is missing: the answer is complete
            if timer and timer.name == "link-ack" and (delivery.command or not financial) \
                    and conn.retransmit():
                _write(link, conn, trace, "repetition (no ACK)")
                deadline = time.monotonic() + timer.seconds
                continue
            raise AnswerMissing(f"no answer from the terminal within "
                                f"{timer.seconds if timer else 0:g} s ({timer.name if timer else '-'})",
                                conv)
        try:
            data = link.read(READ_CHUNK, min(remaining, MAX_POLL_S))
        except LinkClosed as exc:
            raise AnswerMissing(str(exc), conv) from exc
        if not data:
            continue
        conn.receive_data(data)
        heard: list[str] = []
        try:
            # Every event is answered before the next is taken: a message the terminal
            # sent before broken bytes counts, and is acknowledged, before the error.
            while (event := conn.next_event()) is not NEED_DATA and event is not PAUSED:
                heard.append(describe(event))
                _take(event, conn, conv, delivery, on_progress)
        except RemoteProtocolError as exc:
            if trace:
                trace("<-", data, "; ".join(heard + [f"protocol error: {exc}"]))
            _write(link, conn, trace, "ack")
            raise AnswerMissing(f"garbled answer: {exc}", conv) from exc
        if trace:
            trace("<-", data, "; ".join(heard))
        _write(link, conn, trace, "ack")
        timer = conn.timer()
        deadline = time.monotonic() + (timer.seconds if timer else 0)
    return conv


@dataclass
class _Delivery:
    command: bool  # the terminal has our command (link ACK, or its 80 00 / 84 xx)


def _take(event, conn: ZvtConnection, conv: Conversation, delivery: _Delivery,
          on_progress: Callable[[str], None]) -> None:
    """Note one event of the terminal in `conv` and queue our acknowledgement of it."""
    if isinstance(event, Delivered):
        delivery.command = True
    elif isinstance(event, DeliveryFailed):
        if not delivery.command:
            raise NotDelivered("the terminal rejected the command's frame (CRC errors) every time")
        raise AnswerMissing("the terminal rejected our acknowledgement every time", conv)
    elif isinstance(event, (FrameRejected, CorruptFrame)):
        pass  # the framer repeats / has NAKed; bytes go out with our next write
    elif isinstance(event, Ack):
        conv.accepted = True
        delivery.command = True
    elif isinstance(event, Nack):
        conv.refused = event.code
        delivery.command = True
    elif isinstance(event, IntermediateStatus):
        on_progress(intermediate_text(event.status))
        conn.send(Ack())
    elif isinstance(event, StatusInformation):
        conv.status.append(event)
        conn.send(Ack())
    elif isinstance(event, PrintLine):
        conv.receipt_lines.append(event.text)
        conn.send(Ack())
    elif isinstance(event, PrintTextBlock):
        conv.receipt_lines.extend(event.lines)
        conn.send(Ack())
    elif isinstance(event, Completion):
        conv.completion = event
        conn.send(Ack())
    elif isinstance(event, Abort):
        conv.abort = event.result_code
        conn.send(Ack())
    elif isinstance(event, UnknownMessage):
        conn.send(Ack())  # e.g. 06 E0 display text: acknowledged, not needed here
