"""The dashboard's counts over the hub's tables, on SQLite and PostgreSQL: unlinked payments and
webhook deliveries, each within the viewer's offices, and counted from their indexes."""

from __future__ import annotations

from hub.store.bulk import insert_rows
from hub.store.tables_delivery import deliveries
from hub.store.tables_pki import agent_certificates
from hub.users.scope import Scope
from hub.web.figures import delivery_counts, delivery_counts_query, unlinked, unlinked_query
from tests.hub.query_plans import plan_of
from tests.hub.search_rows import add_payments, payment_row

VOIDED = "2026-11-02T10:00:00.000Z"


def _delivery(n: int, agent_id: str, status: str) -> dict:
    at = "2026-11-02T09:00:00.000Z"
    return {"webhook_id": f"msg_{n}", "event_id": f"m-{n}", "agent_id": agent_id, "type": "payment.confirmed",
            "case_system": None if status == "unrouted" else "cases", "case_key": f"C-{n}", "payload": "{}",
            "status": status, "attempts": 1, "created_at": at, "window_started_at": at, "next_attempt_at": at,
            "replays": 0}


def _certificate(n: int, agent_id: str, office: str) -> dict:
    return {"serial": f"{n:040x}", "agent_id": agent_id, "office": office, "issued_at": "2026-11-01T00:00:00.000Z",
            "not_after": "2027-11-01T00:00:00.000Z", "certificate_pem": "-"}


def test_the_unlinked_count_leaves_out_linked_and_voided_payments_and_other_offices(hub_db):
    add_payments(hub_db, [payment_row(1, office="A"), payment_row(2, office="A", voided_at=VOIDED),
                          payment_row(3, office="A", link_status="linked", linked_order_id="CP1"),
                          payment_row(4, office="B"), payment_row(5, office="B")])
    with hub_db.connect() as conn:
        assert unlinked(conn, Scope.everything()) == (3, False)
        assert unlinked(conn, Scope.of(["A"])) == (1, False)
        assert unlinked(conn, Scope.of([])) == (0, False)


def test_the_unlinked_count_stops_past_its_bound_and_says_there_are_more(hub_db):
    add_payments(hub_db, [payment_row(n, office="A" if n < 4 else "B") for n in range(1, 7)])
    with hub_db.connect() as conn:
        assert unlinked(conn, Scope.everything(), up_to=5) == (5, True)
        assert unlinked(conn, Scope.everything(), up_to=6) == (6, False)
        assert unlinked(conn, Scope.of(["A"]), up_to=2) == (2, True)
        assert unlinked(conn, Scope.of(["B"]), up_to=3) == (3, False)


def test_the_unlinked_count_is_read_from_the_partial_index(hub_db):
    # With a bound parameter instead of the literal 'unlinked' neither database may use it.
    with hub_db.connect() as conn:
        for scope in (Scope.everything(), Scope.of(["A", "B"])):
            assert "ix_payments_unlinked_office" in plan_of(conn, unlinked_query(scope))


def test_one_offices_backlog_is_counted_from_the_status_and_agent_index(hub_db):
    with hub_db.connect() as conn:
        assert "ix_deliveries_status_agent" in plan_of(conn, delivery_counts_query(Scope.of(["A"])))


def test_the_backlog_and_dead_letters_are_counted_by_status_within_the_viewers_offices(hub_db):
    with hub_db.begin() as conn:
        insert_rows(conn, agent_certificates, [_certificate(1, "desk-a", "A"), _certificate(2, "desk-b", "B")])
        insert_rows(conn, deliveries, [
            _delivery(1, "desk-a", "pending"), _delivery(2, "desk-a", "unrouted"), _delivery(3, "desk-a", "dead"),
            _delivery(4, "desk-a", "delivered"), _delivery(5, "desk-b", "pending"), _delivery(6, "desk-b", "dead"),
            _delivery(7, "desk-b", "dead"), _delivery(8, "desk-unknown", "pending")])
    with hub_db.connect() as conn:
        assert delivery_counts(conn, Scope.everything()) == (4, 3)
        assert delivery_counts(conn, Scope.of(["A"])) == (2, 1)
        assert delivery_counts(conn, Scope.of(["B"])) == (1, 2)
        assert delivery_counts(conn, Scope.of(["C"])) == (0, 0)

