"""What a reconciliation run leaves behind, as comparable plain data: every status, link,
payment made and confirmation queued, with the moments of the run taken out.

Used by tests/finance/test_reconcile_same_result.py (a run of many shapes gives exactly the
result recorded before the run was made faster) and by bench/reconcile.py, which prints
its digest so a 100,000-line run can be compared before and after a change.

Row ids of payments are replaced by the payment's (agent, payment id): they are assigned
by the database in whatever order a batch is inserted, and say nothing about the result.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection, select

from hub.store.tables import payments
from hub.store.tables_delivery import deliveries
from hub.store.tables_reconcile import flow_payments, flows, statement_lines

_MOMENTS = ("received_at", "created_at", "window_started_at", "next_attempt_at", "timestamp")


def _payment_keys(conn: Connection) -> dict[int, str]:
    return {row_id: f"{agent}/{payment_id}" for row_id, agent, payment_id
            in conn.execute(select(payments.c.id, payments.c.agent_id, payments.c.payment_id))}


def _body(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def fingerprint(conn: Connection) -> dict[str, list]:
    """Statuses and links of lines, flows and flow payments; payments; deliveries (payload included)."""
    keys = _payment_keys(conn)
    lines = [[r.position, r.line_key, r.status, r.reason, r.flow_row, r.order_id, keys.get(r.payment_row)]
             for r in conn.execute(select(statement_lines).order_by(statement_lines.c.line_key))]
    flow_rows = [[r.office, r.flow_id, r.psp_id, r.revision, r.status, r.reason, r.line_row]
                 for r in conn.execute(select(flows).order_by(flows.c.id))]
    fps = [[r.flow_row, r.position, r.iuv, r.status, r.reason, r.order_id, keys.get(r.payment_row)]
           for r in conn.execute(select(flow_payments).order_by(flow_payments.c.flow_row, flow_payments.c.position))]
    made = []
    for row in conn.execute(select(payments).order_by(payments.c.agent_id, payments.c.payment_id)).mappings():
        # A handling fee of 0 (every payment reconciliation makes) is left out, so results recorded
        # before payments had the column keep their digest.
        made.append({k: (_body(v) if k == "body" else v) for k, v in row.items()
                     if k not in ("id", *_MOMENTS) and not (k == "handling_fee_minor" and v == 0)})
    queued = []
    for row in conn.execute(select(deliveries).order_by(deliveries.c.event_id)).mappings():
        payload = json.loads(row["payload"])
        payload.pop("timestamp", None)
        queued.append({**{k: v for k, v in row.items() if k not in ("id", "payload", *_MOMENTS)},
                       "payload": payload})
    return {"lines": lines, "flows": flow_rows, "flow_payments": fps, "payments": made, "deliveries": queued}


def digest(conn: Connection) -> str:
    """A short digest of `fingerprint`: equal digests, equal results."""
    text = json.dumps(fingerprint(conn), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
