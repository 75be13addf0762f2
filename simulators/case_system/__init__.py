"""A stand-in case system: receives signed confirmations, answers case lookups, fails on demand.

`counterpay sim case-system` runs it; see `cli.py`.  It imports only `protocol/`.
"""
