"""Several ingest workers on one database: a new agent whose first events reach two workers at
once gets one row, and neither worker's batch fails over it (it used to: a unique violation, a
retry, then the batch split into single events)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from hub.ingest.store import _ensure_agents
from hub.store.tables import agents


def test_two_workers_meeting_a_new_agent_at_once_both_go_on(hub_db):
    first_in, errors = threading.Event(), []

    def first() -> None:
        with hub_db.begin() as conn:
            _ensure_agents(conn, {"lv-new-1", "lv-new-2"})
            first_in.set()
            time.sleep(0.3)          # its insert not committed yet when the second one comes

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    try:
        with hub_db.begin() as conn:
            _ensure_agents(conn, {"lv-new-2", "lv-new-3"})
    except Exception as exc:       # noqa: BLE001 - the failure is what this test looks for
        errors.append(exc)
    thread.join(10)
    assert errors == []
    with hub_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(agents)
                            .where(agents.c.agent_id.like("lv-new-%"))).scalar_one() == 3
