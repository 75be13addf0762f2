"""Notices sent by e-mail: each send request, and each order's message within it (hub/mail/).

`notice_send_requests`: one row per send request — a selection of orders (one order, a
list, or every unpaid order a filter picks) under an id; running the same request again
mails only what it has not mailed yet.

`notice_messages`: one row per order of a request, unique by (request, order), so a request
can never hold two messages for one order.  Its `state` is the whole story of that e-mail:

    queued   → sending → sent | refused (5xx) | queued again (4xx, connection lost: backoff)
                        → failed (temporary failures max_attempts times) | unknown (see below)
    skipped  (the order has no payer e-mail, was cancelled or is paid; queued again once it has one)

`message_id` is fixed when the row is made and the row is committed as `sending`
(`claimed_by` host:pid, `claimed_at`) before the SMTP DATA: a sender that dies between the
two leaves a `sending` row, which the next run turns into `unknown` instead of sending
again (hub/mail/ledger.py says the rule).  `reply_code`/`reply_text`: the server's last
answer, bounded.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, UniqueConstraint

from hub.store.metadata import metadata

notice_send_requests = Table(
    "notice_send_requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("selection", JSON, nullable=False),          # {"orders": [...]} or {"unpaid": true, "office", "due_before"}
    Column("requested_by", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_run_at", String(40), nullable=False),
    Column("last_run_by", String(100), nullable=False),
    Column("stopped", String(400)),                     # why its last run stopped (server unusable); NULL: it did not
)
Index("ix_notice_send_requests_created", notice_send_requests.c.created_at, notice_send_requests.c.request_id)

notice_messages = Table(
    "notice_messages", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("order_id", String(32), nullable=False),
    Column("recipient", String(254)),                   # the payer's address when queued; NULL when skipped
    Column("language", String(5), nullable=False),
    Column("state", String(16), nullable=False),        # queued|sending|sent|refused|failed|unknown|skipped
    Column("attempts", Integer, nullable=False),
    Column("message_id", String(250), nullable=False),  # the Message-ID header, fixed before the first attempt
    Column("reply_code", Integer),                      # the server's last answer (or ours, code NULL) …
    Column("reply_text", String(500)),                  # … bounded to 500 characters
    Column("claimed_by", String(120)),                  # host:pid of the sender holding it while `sending`
    Column("queued_at", String(40), nullable=False),
    Column("claimed_at", String(40)),
    Column("next_attempt_at", String(40)),              # a temporary failure's backoff; NULL: at once
    Column("finished_at", String(40)),
    UniqueConstraint("request_id", "order_id", name="uq_notice_messages_request_order"),
)
# The sender's next rows and the counts per state; an order's page lists its messages.
Index("ix_notice_messages_request_state", notice_messages.c.request_id, notice_messages.c.state, notice_messages.c.id)
Index("ix_notice_messages_order", notice_messages.c.order_id, notice_messages.c.id)

MAIL_TABLES = (notice_send_requests, notice_messages)
