"""Concert V2 / E+ card-terminal protocol, without I/O, for both roles.

`messages` holds the request and answers, `connection.ConcertConnection` the
ENQ/ACK/NAK/EOT link state machine, `events` what goes in and out of it, `states` the
state tables and timers.  Errors and the NEED_DATA / PAUSED sentinels are the ones
the ZVT codec shares (`protocol.terminal.errors`, `protocol.terminal.sentinels`).
"""

from protocol.terminal.concert.connection import ConcertConnection, frame, render, render_frame
from protocol.terminal.concert.messages import (
    AnswerFlag, Authorisation, CURRENCY_NUMERIC, Delay, PaymentAnswer, PaymentRequest, Status,
    TransactionType, lrc, mask_card_number,
)
from protocol.terminal.concert.states import (
    MAX_ENQ_ATTEMPTS, MAX_FRAME_ATTEMPTS, T_ACK, T_ANSWER, T_EOT, T_FRAME, Role, State, Timer,
)
from protocol.terminal.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from protocol.terminal.sentinels import NEED_DATA, PAUSED

__all__ = [
    "ConcertConnection", "LocalProtocolError", "NEED_DATA", "PAUSED", "ProtocolError",
    "RemoteProtocolError", "PaymentRequest", "PaymentAnswer", "AnswerFlag",
    "Authorisation", "Delay", "Status", "TransactionType", "CURRENCY_NUMERIC", "Role", "State", "Timer",
    "MAX_ENQ_ATTEMPTS", "MAX_FRAME_ATTEMPTS", "T_ACK", "T_FRAME", "T_EOT", "T_ANSWER",
    "frame", "render", "render_frame", "lrc", "mask_card_number",
]
