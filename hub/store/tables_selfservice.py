"""The citizens' self-service page (hub/selfservice/): its lookups, counted per address.

`selfservice_lookups`: one row per lookup answered, found or not, with the client's address
and the time; nothing of what was typed (no notice number, no fiscal code).  Rows are the
throttle's counters (hub/selfservice/throttle.py), kept in the database so that every hub
process behind one proxy counts the same tries.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table

from hub.store.metadata import metadata

selfservice_lookups = Table(
    "selfservice_lookups", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("address", String(64), nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_selfservice_lookups_address", selfservice_lookups.c.address, selfservice_lookups.c.at)
