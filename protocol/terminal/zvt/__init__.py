"""ZVT (PA00P015 / PA00P016), the German cash-register ↔ card-terminal protocol, without I/O.

Layers, bottom up: `encoding` (BCD, LLVAR, TLV, CRC), `bmp` (tagged fields),
`messages` (APDUs as typed messages), `framing` (serial DLE/STX/CRC/ACK and TCP),
`connection` (who may send what when, and the timers).  Both roles: the agent's driver
plays the cash register (ECR), the simulator the terminal (PT).
"""

from protocol.terminal.zvt.bmp import Bmps, IndividualTotals, mask_pan
from protocol.terminal.zvt.connection import Role, State, Timer, ZvtConnection
from protocol.terminal.zvt.encoding import ZvtProtocolError
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
    "IntermediateStatus", "LogOff", "Message", "Nack", "PrintLine", "PrintTextBlock",
    "Refund", "Registration", "RepeatReceipt", "Reversal", "Role", "State",
    "StatusEnquiry", "StatusInformation", "Timer", "ZvtConnection", "ZvtProtocolError",
    "decode_apdu", "encode_message", "frame_apdu", "mask_pan",
]
