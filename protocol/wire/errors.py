"""The one error of the wire: a message that must be dropped, with a reason code."""


class WireError(ValueError):
    """`reason` is a short code for counters and logs; the message is for people."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
