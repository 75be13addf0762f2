"""Versioned schema migrations of the agent store.

Each migration is a function of a `sqlite_utils.Database` run inside one transaction
together with its row in `schema_version`, so a crash mid-migration leaves the store at
the previous version.  Migrations only add: an agent upgraded with a full outbox must
keep every row (tested on a store with a non-empty outbox).

Tables
    journal      one row per payment intent: request, state, terminal outcome, receipt;
                 a void (reversal) or refund names the payment it undoes and its approver
    outbox       signed envelopes waiting for the hub's application ack, by seq
    catalogue    cached fee catalogue positions (retained `cp/v1/broadcast/catalogue`)
    orders       cached payment orders seen at this desk
    order_states orders the hub says this desk must refuse: cancelled, or changed since printed
                 (retained `cp/v1/broadcast/orders/<office>`, agent/sync/order_state.py)
    payers       the cash module's payer database (search by name, id or fiscal code), learnt from
                 payments and from the hub's order codes and cases seen at this desk
    card_activations  the service steps where this office's desks take cards
                 (retained `cp/v1/broadcast/cards/<office>`, agent/sync/card_activation.py)
    desk_operators        who may log in at this desk: the hub's last desk.roster
                          (agent/sync/desk_roster.py), with each one's Argon2id verifier
    desk_login_failures   failed logins per username, so a lock-out survives a restart
    settings     key/value: incarnation, outbox sequence, key directory cache, …
    schema_version
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

import sqlite_utils

from agent.store.folding import compact_id, fold_name


def _v1_core(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE journal (
            intent_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,                 -- payment | refund | reversal
            tender TEXT NOT NULL,               -- card | cash
            amount_minor INTEGER NOT NULL,
            currency TEXT NOT NULL,
            request TEXT NOT NULL,              -- JSON: reference, positions, payer, case, order
            state TEXT NOT NULL,                -- intent | sent | unknown | operator_check | approved | declined | aborted
            outcome TEXT,                       -- JSON TerminalResult (masked PAN only)
            receipt_id TEXT NOT NULL UNIQUE,
            receipt_printed_at TEXT,
            operator TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            captured_at TEXT
        )""")
    db.execute("CREATE INDEX journal_state ON journal(state)")
    db.execute("CREATE INDEX journal_created ON journal(created_at)")
    db.execute("""
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,            -- per-agent sequence, never reused
            message_id TEXT NOT NULL UNIQUE,    -- fixed at creation
            type TEXT NOT NULL,
            payment_id TEXT UNIQUE,             -- one payment.captured per intent, ever
            envelope BLOB NOT NULL,             -- the exact signed bytes, re-sent unchanged
            state TEXT NOT NULL,                -- pending | acked | rejected
            created_at TEXT NOT NULL,
            acked_at TEXT,
            ack_status TEXT
        )""")
    db.execute("CREATE INDEX outbox_state_seq ON outbox(state, seq)")
    db.execute("CREATE TABLE catalogue (code TEXT PRIMARY KEY, position TEXT NOT NULL, version TEXT)")
    db.execute("CREATE TABLE orders (order_id TEXT PRIMARY KEY, data TEXT NOT NULL, seen_at TEXT NOT NULL)")
    db.execute("CREATE TABLE payers (id TEXT PRIMARY KEY, name TEXT NOT NULL, last_seen TEXT NOT NULL)")
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _v2_delivery_and_search(db: sqlite_utils.Database) -> None:
    # Delivery bookkeeping for the technician (how often a row went out, when last),
    # and a case-folded payer name so search ignores case without a full scan of LIKEs.
    db.execute("ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE outbox ADD COLUMN last_sent_at TEXT")
    db.execute("ALTER TABLE payers ADD COLUMN name_folded TEXT NOT NULL DEFAULT ''")
    db.execute("UPDATE payers SET name_folded = lower(name)")
    db.execute("CREATE INDEX payers_name ON payers(name_folded)")


def _v3_terminal_mark(db: sqlite_utils.Database) -> None:
    # The ZVT driver marks each intent with the terminal's newest trace number before
    # sending; recovery after a restart needs it to tell this payment from an older one.
    db.execute("ALTER TABLE journal ADD COLUMN terminal_mark TEXT")


def _v4_order_states(db: sqlite_utils.Database) -> None:
    # The hub's last word on cancelled and changed orders, kept so the desk refuses them
    # offline too; replaced whole each time the hub publishes the office's state.
    db.execute("""
        CREATE TABLE order_states (
            order_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,                -- cancelled | changed
            at TEXT NOT NULL,                   -- when it was cancelled, or its amount changed
            reference TEXT,                     -- its RF or pagoPA notice number, compacted
            reason TEXT,                        -- cancelled: the back office's reason
            amount_minor INTEGER,               -- changed: what it asks now (NULL: open amount)
            currency TEXT
        )""")
    db.execute("CREATE INDEX order_states_reference ON order_states(reference)")


def _v5_card_activation_and_payers(db: sqlite_utils.Database) -> None:
    # Which service steps take cards here, kept so the desk refuses the others offline too;
    # replaced whole each time the hub publishes the office's set.  Payers get their id in
    # one compact form (a fiscal code typed with or without spaces and dashes finds them)
    # and the last order they were seen with.
    db.execute("""
        CREATE TABLE card_activations (
            service TEXT PRIMARY KEY,           -- the service step: its price list's code
            since TEXT NOT NULL,                -- when its application became active
            contract_valid_to TEXT              -- the card contract's last day (NULL: open-ended)
        )""")
    db.execute("ALTER TABLE payers ADD COLUMN id_compact TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE payers ADD COLUMN last_order_id TEXT")
    rows = db.execute("SELECT id, name FROM payers").fetchall()
    db.conn.executemany("UPDATE payers SET name_folded = ?, id_compact = ? WHERE id = ?",
                        [(fold_name(name), "" if key.startswith("name:") else compact_id(key), key)
                         for key, name in rows])
    db.execute("CREATE INDEX payers_id_compact ON payers(id_compact)")


def _v7_desk_operators(db: sqlite_utils.Database) -> None:
    # Logins are checked offline against the hub's last roster; failures are counted on
    # disk, or a restart of the agent would hand a guesser a fresh set of tries.
    db.execute("""
        CREATE TABLE IF NOT EXISTS desk_operators (
            username TEXT PRIMARY KEY,
            role TEXT NOT NULL,                 -- desk | technician | supervisor
            verifier TEXT NOT NULL,             -- Argon2id PHC string of the desk PIN
            changed_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE IF NOT EXISTS desk_login_failures (
            username TEXT PRIMARY KEY,          -- as typed (lower-cased), known or not
            failures INTEGER NOT NULL,          -- since the last successful login
            last_failure_at TEXT NOT NULL,
            locked_until TEXT                   -- no login of this name before then
        )""")


def _v8_voids(db: sqlite_utils.Database) -> None:
    # A void or refund names the payment it undoes and the supervisor who approved it.
    # At most one reversal of a payment may be in flight or done: the index makes a second
    # one impossible even if two screens asked at once (a declined or aborted one is no void).
    db.execute("ALTER TABLE journal ADD COLUMN undoes_intent_id TEXT")
    db.execute("ALTER TABLE journal ADD COLUMN approved_by TEXT")
    db.execute("CREATE UNIQUE INDEX ix_journal_one_reversal ON journal(undoes_intent_id) "
               "WHERE kind = 'reversal' AND undoes_intent_id IS NOT NULL AND state NOT IN ('declined', 'aborted')")
    db.execute("CREATE INDEX ix_journal_undoes ON journal(undoes_intent_id) WHERE undoes_intent_id IS NOT NULL")


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "journal, outbox, caches, payers, settings", _v1_core),
    (2, "outbox delivery attempts; case-folded payer search", _v2_delivery_and_search),
    (3, "journal keeps the terminal's mark of each intent", _v3_terminal_mark),
    (4, "orders the hub cancelled or changed, refused at the desk", _v4_order_states),
    (5, "service steps that take cards; payers by compact id and last order", _v5_card_activation_and_payers),
    (7, "desk operators from the hub's roster; failed logins", _v7_desk_operators),
    (8, "voids and refunds name the payment they undo and the approving supervisor", _v8_voids),
]
# Kept sorted by number: other versions may sit between these, each independent of the rest.
MIGRATIONS.sort(key=lambda migration: migration[0])
LATEST = MIGRATIONS[-1][0]


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database, target: int | None = None) -> int:
    """Bring the schema to `target` (default: latest); returns the version reached."""
    target = LATEST if target is None else target
    db.execute("CREATE TABLE IF NOT EXISTS schema_version ("
               "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)")
    version = current_version(db)
    if version > LATEST:
        raise RuntimeError(f"the store has schema version {version}, newer than this agent knows "
                           f"({LATEST}): upgrade the agent, do not downgrade it")
    for number, description, step in MIGRATIONS:
        if version < number <= target:
            db.execute("BEGIN IMMEDIATE")
            try:
                step(db)
                db.execute("INSERT INTO schema_version(version, description, applied_at) VALUES (?, ?, ?)",
                           (number, description, dt.datetime.now(dt.timezone.utc).isoformat()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            version = number
    return version
