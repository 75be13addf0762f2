"""What `counterpay agent status` reports, read straight from the store (no agent needed)."""

from __future__ import annotations

import datetime as dt

from protocol.domain import OPEN_JOURNAL_STATES

from agent.config import AgentConfig
from agent.outbox import Outbox
from agent.store import Store, StoreError, desk_operators


def read_status(config: AgentConfig) -> dict:
    if not config.store_path.exists():
        raise StoreError(f"no store at {config.store_path}: the agent has not run with this configuration yet")
    store = Store.open(config.store_path)
    try:
        outbox = Outbox(store, config.agent_id, key=None, cap=config.outbox_cap)  # read-only use: no signing
        open_rows = store.query("SELECT intent_id, state, tender, amount_minor, currency, created_at FROM journal "
                                f"WHERE state IN ({','.join('?' * len(OPEN_JOURNAL_STATES))}) ORDER BY created_at",
                                OPEN_JOURNAL_STATES)
        return {"agent_id": config.agent_id, "office": config.office, "store": str(config.store_path),
                "schema_version": store.schema_version, "outbox_depth": outbox.depth(),
                "oldest_age_s": outbox.oldest_age_s(), "outbox_cap": config.outbox_cap,
                "rejected": int(store.scalar("SELECT COUNT(*) FROM outbox WHERE state = 'rejected'") or 0),
                "open_intents": open_rows, "last_ack_at": outbox.last_ack_at(),
                "last_seq": store.get_setting("outbox_seq", 0), "incarnation": store.get_setting("incarnation", 0),
                "login_required": config.login_required, "desk_roster_heard_at": desk_operators.heard_at(store),
                "desk_operators": desk_operators.count(store),
                "locked_out": [row["username"] for row in store.query(
                    # Both sides written by datetime.isoformat() in UTC: text order is time order.
                    "SELECT username FROM desk_login_failures WHERE locked_until > ? ORDER BY username",
                    (dt.datetime.now(dt.timezone.utc).isoformat(),))]}
    finally:
        store.close()
