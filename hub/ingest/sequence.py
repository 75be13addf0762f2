"""Per-agent sequence tracking: every seq ≤ `contiguous_seq` is stored; a gap above
it means messages are missing, and the agent is asked to replay from the first one.

Agents number their events from 1.  The common case (the batch continues where the
agent left off) is decided in memory; only a gap looks at the stored seqs.  The
same missing seq is asked for again only after REPLAY_REPEAT_S: the agent may be
replaying already.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, select

from hub.store.tables import agents, events
from hub.store.timeutil import iso

REPLAY_REPEAT_S = 30

_UPDATE = (agents.update().where(agents.c.agent_id == bindparam("b_agent"))
           .values(contiguous_seq=bindparam("b_contiguous"), max_seq=bindparam("b_max"),
                   last_seen=bindparam("b_seen"), replay_from=bindparam("b_replay_from"),
                   replay_at=bindparam("b_replay_at")))


def _walk(conn: Connection, agent_id: str, contiguous: int, max_seq: int) -> int:
    """Advance over stored seqs (those that arrived earlier, out of order)."""
    while contiguous < max_seq:
        seqs = conn.execute(select(events.c.seq).distinct()
                            .where(events.c.agent_id == agent_id, events.c.seq > contiguous)
                            .order_by(events.c.seq).limit(2000)).scalars().all()
        advanced = False
        for seq in seqs:
            if seq != contiguous + 1:
                break
            contiguous, advanced = seq, True
        if not advanced or len(seqs) < 2000:
            break
    return contiguous


def advance_sequences(conn: Connection, agent_ids: set[str], new_seqs: dict[str, set[int]],
                      received_at: str) -> dict[str, int]:
    """Update contiguous/max seq and last_seen of every agent in the batch; returns the gaps to ask for."""
    query = select(agents.c.agent_id, agents.c.contiguous_seq, agents.c.max_seq, agents.c.last_seen,
                   agents.c.replay_from, agents.c.replay_at).where(agents.c.agent_id.in_(sorted(agent_ids)))
    rows = {row.agent_id: row for row in conn.execute(query)}
    now = dt.datetime.now(dt.timezone.utc)
    recent = iso(now - dt.timedelta(seconds=REPLAY_REPEAT_S))
    gaps: dict[str, int] = {}
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
        replay_from, replay_at = row.replay_from, row.replay_at
        if contiguous < max_seq:
            first_missing = contiguous + 1
            if not (replay_from == first_missing and replay_at and replay_at > recent):
                gaps[agent_id] = first_missing
                replay_from, replay_at = first_missing, iso(now)
        updates.append({"b_agent": agent_id, "b_contiguous": contiguous, "b_max": max_seq,
                        "b_seen": max(received_at, row.last_seen or ""), "b_replay_from": replay_from,
                        "b_replay_at": replay_at})
    conn.execute(_UPDATE, updates)
    return gaps
