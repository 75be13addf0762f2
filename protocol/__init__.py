"""The shared language of counterpay: pure code, no I/O.

Money, identifiers and check digits, payment QR formats, our signed order and
receipt codes, the MQTT envelope and topics, and the card-terminal wire codecs.
Nothing here imports `agent`, `hub` or `simulators`.
"""
