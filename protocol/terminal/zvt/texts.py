"""Readable texts for ZVT codes, for logs, the clerk's screen and the technician.

Result codes (BMP 27, 84 xx, 06 1E) and intermediate-status codes (04 FF) from
PA00P015 ch. 10 "Error-messages" and ch. 2.x "Intermediate status".  Only the codes a
counter sees in practice; others are shown by number.
"""

from __future__ import annotations

RESULT_TEXT = {
    0x00: "approved",
    0x05: "declined by the card issuer (do not honour)",
    0x14: "credit not sufficient",
    0x33: "card expired",
    0x37: "wrong PIN",
    0x64: "card not readable",
    0x65: "card data not present",
    0x66: "processing error",
    0x6A: "turnover file full",
    0x6B: "function deactivated (terminal not registered)",
    0x6C: "aborted (timeout or abort key)",
    0x6F: "wrong currency",
    0x78: "card expired",
    0x7A: "card unknown",
    0x83: "function not possible",
    0x9A: "ZVT protocol error",
    0x9B: "dial-up / communication error",
    0x9C: "terminal busy, please wait",
    0xA0: "receiver not ready",
    0xA3: "no connection",
    0xB4: "already reversed",
    0xB5: "reversal not possible",
    0xC3: "maximum amount exceeded",
    0xCC: "printer not ready",
    0xFF: "system error",
}

INTERMEDIATE_TEXT = {
    0x00: "waiting for amount confirmation",
    0x01: "please watch PIN pad",
    0x02: "please watch PIN pad",
    0x04: "waiting for the card issuer",
    0x0A: "insert card",
    0x0B: "please remove card",
    0x0E: "please wait",
    0x15: "incorrect PIN",
    0x17: "please wait",
    0x1D: "declined",
}


def result_text(code: int | None) -> str:
    if code is None:
        return "no result code"
    return RESULT_TEXT.get(code, "declined or failed") + f" ({code:02X})"


def intermediate_text(code: int) -> str:
    return INTERMEDIATE_TEXT.get(code, f"terminal status {code:02X}")


def format_amount(minor: int | None, currency: str = "EUR") -> str:
    if minor is None:
        return "?"
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d} {currency}"


def describe(msg) -> str:
    """One line saying what a message or link event means."""
    from protocol.terminal.zvt import framing, messages as m
    if isinstance(msg, framing.Delivered):
        return "link ACK"
    if isinstance(msg, framing.FrameRejected):
        return f"link NAK (retransmission {msg.attempt})"
    if isinstance(msg, framing.DeliveryFailed):
        return "link NAK: giving up on the frame"
    if isinstance(msg, framing.CorruptFrame):
        return f"garbled frame, answered NAK: {msg.reason}"
    if isinstance(msg, (m.Authorisation, m.Refund)):
        return f"{msg.NAME} {format_amount(msg.bmps.amount)}"
    if isinstance(msg, m.Reversal):
        return f"reversal of receipt {msg.bmps.receipt_no}"
    if isinstance(msg, m.IntermediateStatus):
        return f"intermediate status: {intermediate_text(msg.status)}"
    if isinstance(msg, m.StatusInformation):
        b = msg.bmps
        parts = [f"status information: {result_text(b.result_code)}"]
        if b.amount is not None:
            parts.append(format_amount(b.amount))
        if b.receipt_no is not None:
            parts.append(f"receipt {b.receipt_no}")
        if b.trace_no is not None:
            parts.append(f"trace {b.trace_no}")
        return ", ".join(parts)
    if isinstance(msg, m.Abort):
        return f"abort: {result_text(msg.result_code)}"
    if isinstance(msg, m.Nack):
        return f"negative ack: {result_text(msg.code)}"
    if isinstance(msg, m.PrintTextBlock):
        return f"text block, {len(msg.lines)} lines"
    if isinstance(msg, m.PrintLine):
        return f"print line {msg.text!r}"
    if isinstance(msg, m.Completion):
        return "completion" + (f", terminal status {msg.terminal_status:02X}"
                               if msg.terminal_status is not None else "")
    return getattr(msg, "NAME", type(msg).__name__)
