"""Per-agent sequence tracking: every seq ≤ `contiguous_seq` is stored; a gap above
it means messages are missing, and the agent is asked to replay from the first one.

Agents number their events from 1.  A seq is accounted for when its event is stored
or was refused with an answer (refused_events).  The common case (the batch continues where the
agent left off) is decided in memory; only a gap looks at the stored seqs.
A replay is asked for once the gap has lasted `grace_s` (several hub workers sharing
the stream see an agent's events briefly out of order, and that is no loss), and the
same missing seq is asked for again only after REPLAY_REPEAT_S: the agent may be
replaying already.  `due_replays` runs after every batch and on the worker's idle
tick, so a gap is chased even when the agent sends nothing more.

Several workers store batches of one agent at once (the shared subscription hands out
messages, not agents): the agents' rows are read `FOR UPDATE` (PostgreSQL; SQLite's
writers take turns anyway), in agent order, so the second batch reads what the first
committed instead of overwriting its advance with an older one (which looked like a gap
and cost a replay), and two batches never wait for each other in a circle.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, select, union

from hub.store.tables import agents, events
from hub.store.tables_ingest import refused_events
from hub.store.timeutil import iso

REPLAY_REPEAT_S = 30
DEFAULT_GAP_GRACE_S = 2.0

_UPDATE = (agents.update().where(agents.c.agent_id == bindparam("b_agent"))
           .values(contiguous_seq=bindparam("b_contiguous"), max_seq=bindparam("b_max"),
                   last_seen=bindparam("b_seen"), gap_since=bindparam("b_gap_since")))


def _walk(conn: Connection, agent_id: str, contiguous: int, max_seq: int) -> int:
    """Advance over the seqs stored or refused (those that arrived earlier, out of order):
    a refused event was answered, so the agent has nothing to replay there."""
    while contiguous < max_seq:
        stored = select(events.c.seq).where(events.c.agent_id == agent_id, events.c.seq > contiguous)
        refused = select(refused_events.c.seq).where(refused_events.c.agent_id == agent_id,
                                                     refused_events.c.seq > contiguous)
        accounted = union(stored, refused).subquery()
        seqs = conn.execute(select(accounted.c.seq).order_by(accounted.c.seq).limit(2000)).scalars().all()
        advanced = False
        for seq in seqs:
            if seq != contiguous + 1:
                break
            contiguous, advanced = seq, True
        if not advanced or len(seqs) < 2000:
            break
    return contiguous


def advance_sequences(conn: Connection, agent_ids: set[str], new_seqs: dict[str, set[int]],
                      received_at: str) -> None:
    """Update contiguous/max seq, gap_since and last_seen of every agent in the batch."""
    query = (select(agents.c.agent_id, agents.c.contiguous_seq, agents.c.max_seq, agents.c.last_seen,
                    agents.c.gap_since).where(agents.c.agent_id.in_(sorted(agent_ids)))
             .order_by(agents.c.agent_id).with_for_update())
    rows = {row.agent_id: row for row in conn.execute(query)}
    updates = []
    for agent_id in sorted(agent_ids):
        row = rows[agent_id]
        seqs = new_seqs.get(agent_id, set())
        contiguous = row.contiguous_seq
        max_seq = max([row.max_seq, *seqs])
        while contiguous + 1 in seqs:
            contiguous += 1
        if contiguous < max_seq:
            contiguous = _walk(conn, agent_id, contiguous, max_seq)
        gap_since = (row.gap_since or received_at) if contiguous < max_seq else None
        updates.append({"b_agent": agent_id, "b_contiguous": contiguous, "b_max": max_seq,
                        "b_seen": max(received_at, row.last_seen or ""), "b_gap_since": gap_since})
    conn.execute(_UPDATE, updates)


def due_replays(conn: Connection, grace_s: float = DEFAULT_GAP_GRACE_S) -> dict[str, int]:
    """Agents whose gap has lasted `grace_s` and who were not just asked: agent → first missing seq."""
    now = dt.datetime.now(dt.timezone.utc)
    old_enough = iso(now - dt.timedelta(seconds=grace_s))
    recent = iso(now - dt.timedelta(seconds=REPLAY_REPEAT_S))
    rows = conn.execute(select(agents.c.agent_id, agents.c.contiguous_seq, agents.c.replay_from, agents.c.replay_at)
                        .where(agents.c.gap_since.is_not(None), agents.c.gap_since <= old_enough)
                        .order_by(agents.c.agent_id)).all()
    due = {}
    for row in rows:
        first_missing = row.contiguous_seq + 1
        if row.replay_from == first_missing and row.replay_at and row.replay_at > recent:
            continue
        due[row.agent_id] = first_missing
        conn.execute(agents.update().where(agents.c.agent_id == row.agent_id)
                     .values(replay_from=first_missing, replay_at=iso(now)))
    return due
