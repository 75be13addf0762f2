"""Resolve an anomaly by hand: a person says why it is settled; audited, never undone by a run.

The item becomes `ignored` with reason `resolved`; what it was, who resolved it, when and
why are kept in `reconcile_resolutions` and in the audit log (action `reconcile.resolve`),
in the same transaction.  Only an anomaly can be resolved: a waiting item waits for its
other half, and matched or ignored ones need nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hub.audit.log import record
from hub.errors import Conflict, InvalidInput, NotFound
from hub.finance.reconcile import status as st
from hub.finance.reconcile.report import TABLES
from hub.store.tables_reconcile import reconcile_resolutions
from hub.store.timeutil import now_iso
from hub.users.scope import Scope

SUBJECTS = {"line": "lines", "flow": "flows", "payment": "payments"}
NOTE_MAX = 1000


class NotAnAnomaly(Conflict):
    """Only an anomaly can be resolved."""


class NoSuchItem(NotFound):
    """No line, flow or flow payment with that id (within the caller's offices)."""


class BadNote(InvalidInput):
    """A resolution says why, in at most NOTE_MAX characters."""


def resolve(conn: Connection, subject: str, row_id: int, note: str, *, actor: str,
            scope: Scope | None = None) -> dict[str, Any]:
    """Resolve anomaly `row_id` of `subject` (line | flow | payment); returns the item as it is now."""
    scope = scope or Scope.everything()
    note = (note or "").strip()
    if not note:
        raise BadNote("say why the anomaly is resolved (a note)")
    if len(note) > NOTE_MAX:
        raise BadNote(f"the note has {len(note)} characters; at most {NOTE_MAX}")
    table, query, item = TABLES[SUBJECTS[subject]]
    row = conn.execute(query.where(table.c.id == row_id)).mappings().first()
    if row is None or not scope.allows(row["office"]):
        raise NoSuchItem(f"there is no {subject} {row_id}")
    if row["status"] != st.ANOMALY:
        raise NotAnAnomaly(f"{subject} {row_id} is {row['status']} ({row['reason']}), not an anomaly: "
                           "only an anomaly can be resolved")
    at = now_iso()
    conn.execute(table.update().where(table.c.id == row_id).values(
        status=st.IGNORED, reason=st.RESOLVED, resolved_at=at, resolved_by=actor, resolution_note=note))
    conn.execute(reconcile_resolutions.insert().values(
        subject=subject, subject_row=row_id, previous_status=row["status"], previous_reason=row["reason"],
        note=note, resolved_by=actor, resolved_at=at))
    record(conn, actor, "reconcile.resolve", f"reconcile-{subject}:{row_id}",
           {"previous_reason": row["reason"], "note": note, "office": row["office"]})
    return item(dict(conn.execute(query.where(table.c.id == row_id)).mappings().one()))
