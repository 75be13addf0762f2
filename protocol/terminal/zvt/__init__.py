"""ZVT (PA00P015 / PA00P016), the German cash-register ↔ card-terminal protocol, without I/O.

Layers, bottom up: `encoding` (BCD, LLVAR, TLV, CRC), `bmp` (tagged fields),
`messages` (APDUs as typed messages), `framing` (serial DLE/STX/CRC/ACK and TCP),
`connection` (who may send what when, and the timers).  Both roles: the agent's driver
plays the cash register (ECR), the simulator the terminal (PT).  Errors and the
NEED_DATA / PAUSED sentinels are the ones the Concert codec shares
(`protocol.terminal.errors`, `protocol.terminal.sentinels`).
"""

from protocol.terminal.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from protocol.terminal.sentinels import NEED_DATA, PAUSED
from protocol.terminal.zvt.bmp import Bmps, IndividualTotals, mask_pan
from protocol.terminal.zvt.connection import Role, State, Timer, ZvtConnection
from protocol.terminal.zvt.framing import (CorruptFrame, Delivered, DeliveryFailed,
                                           FrameRejected, frame_apdu)
from protocol.terminal.zvt.messages import (Abort, AbortRequest, Ack, Authorisation,
                                            Completion, EndOfDay, IntermediateStatus, LogOff,
                                            Message, Nack, PrintLine, PrintTextBlock, Refund,
                                            Registration, RepeatReceipt, Reversal,
                                            StatusEnquiry, StatusInformation, decode_apdu,
                                            encode_message)

__all__ = [
    "Abort", "AbortRequest", "Ack", "Authorisation", "Bmps", "Completion", "CorruptFrame",
    "Delivered", "DeliveryFailed", "EndOfDay", "FrameRejected", "IndividualTotals",
    "IntermediateStatus", "LocalProtocolError", "LogOff", "Message", "NEED_DATA", "Nack",
    "PAUSED", "PrintLine", "PrintTextBlock", "ProtocolError", "Refund", "Registration",
    "RemoteProtocolError", "RepeatReceipt", "Reversal", "Role", "State",
    "StatusEnquiry", "StatusInformation", "Timer", "ZvtConnection",
    "decode_apdu", "encode_message", "frame_apdu", "mask_pan",
]
