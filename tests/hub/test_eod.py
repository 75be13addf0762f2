"""Terminal end of day at the hub: each batch report stored once, compared with the card
payments of that agent, terminal and batch, and judged again when a late payment or a
void of the batch arrives; the API lists both figures within the caller's offices."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY
from sqlalchemy import select

from hub.ingest.worker import IngestWorker
from hub.store.tables_eod import eod_card_payments, eod_reports
from tests.hub.agents import WireClient
from tests.hub.eod_support import Desk, store as _store
from tests.hub.api_support import Api
from tests.support.waiting import wait_until

def _reports(db) -> list[dict]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(select(eod_reports).order_by(eod_reports.c.id)).mappings()]


def _one(db) -> dict:
    [report] = _reports(db)
    return report


def test_a_batch_whose_totals_are_the_hubs_card_payments_is_matched(hub_context):
    desk = Desk("desk-e1")
    first, second = desk.card(1500), desk.card(3000)
    cash = desk.payment(700, tender="cash")
    _store(hub_context.db, hub_context.event_key, first, second, cash,
           desk.report(2, 4500, payment_ids=[first.body["payment_id"], second.body["payment_id"]]))
    report = _one(hub_context.db)
    assert (report["status"], report["hub_count"], report["hub_total_minor"]) == ("matched", 2, 4500)
    assert (report["reported_source"], report["reported_count"], report["reported_total_minor"]) == \
        ("terminal", 2, 4500)
    assert report["differences"] == [] and report["office"] == "riga-1"


def test_a_count_that_differs_is_a_mismatch_with_both_figures(hub_context):
    desk = Desk("desk-e2")
    _store(hub_context.db, hub_context.event_key, desk.card(1500), desk.card(3000), desk.report(3, 4500))
    report = _one(hub_context.db)
    assert report["status"] == "mismatch"
    assert report["differences"] == [{"kind": "count", "currency": "EUR", "reported": 3, "hub": 2}]


def test_an_amount_that_differs_is_a_mismatch_with_both_figures(hub_context):
    desk = Desk("desk-e3")
    _store(hub_context.db, hub_context.event_key, desk.card(1500), desk.card(3000), desk.report(2, 5000))
    assert _one(hub_context.db)["differences"] == [{"kind": "amount", "currency": "EUR", "reported": 5000,
                                                     "hub": 4500}]


def test_a_payment_arriving_after_its_batchs_report_clears_the_mismatch(hub_context):
    desk = Desk("desk-e4")
    first, late = desk.card(1500), desk.card(2500)
    ids = [first.body["payment_id"], late.body["payment_id"]]
    _store(hub_context.db, hub_context.event_key, first, desk.report(2, 4000, payment_ids=ids))
    report = _one(hub_context.db)
    assert report["status"] == "mismatch"
    assert {"kind": "missing_at_hub", "payment_id": late.body["payment_id"]} in report["differences"]
    assert {"kind": "amount", "currency": "EUR", "reported": 4000, "hub": 1500} in report["differences"]
    _store(hub_context.db, hub_context.event_key, late)          # the replay lands
    report = _one(hub_context.db)
    assert (report["status"], report["hub_count"], report["hub_total_minor"], report["differences"]) == \
        ("matched", 2, 4000, [])


def test_a_payment_of_the_next_batch_does_not_touch_this_one(hub_context):
    desk = Desk("desk-e5")
    _store(hub_context.db, hub_context.event_key, desk.card(1500), desk.report(1, 1500))
    _store(hub_context.db, hub_context.event_key, desk.card(900, batch_no=2, captured_at="2026-11-22T19:00:00.000Z"))
    assert _one(hub_context.db)["status"] == "matched"


def test_a_void_of_the_batch_is_netted_as_the_terminal_nets_its_reversal(hub_context):
    desk = Desk("desk-e6")
    kept, reversed_ = desk.card(1500), desk.card(3000)
    _store(hub_context.db, hub_context.event_key, kept, reversed_, desk.report(1, 1500))
    assert _one(hub_context.db)["status"] == "mismatch"
    _store(hub_context.db, hub_context.event_key, desk.void(reversed_.body["payment_id"], 3000))
    report = _one(hub_context.db)
    assert (report["status"], report["hub_count"], report["hub_total_minor"]) == ("matched", 1, 1500)


def test_the_same_report_twice_or_under_a_new_message_id_is_stored_once(hub_context):
    desk = Desk("desk-e7")
    report = desk.report(1, 1500)
    _store(hub_context.db, hub_context.event_key, desk.card(1500), report)
    _store(hub_context.db, hub_context.event_key, report)
    resent = desk.report(1, 9999, message_id="another-message")          # same batch id: the first stands
    _store(hub_context.db, hub_context.event_key, resent)
    [stored] = _reports(hub_context.db)
    assert (stored["message_id"], stored["reported_total_minor"], stored["status"]) == (report.id, 1500, "matched")


def test_a_payment_the_hub_has_but_the_batch_does_not_list_is_named(hub_context):
    desk = Desk("desk-e8")
    listed, extra = desk.card(1500), desk.card(500)
    _store(hub_context.db, hub_context.event_key, listed, extra,
           desk.report(2, 2000, payment_ids=[listed.body["payment_id"]]))
    assert _one(hub_context.db)["differences"] == [{"kind": "not_in_batch", "payment_id": extra.body["payment_id"]}]


def test_card_payments_in_another_currency_are_a_difference_of_that_currency(hub_context):
    desk = Desk("desk-e9")
    _store(hub_context.db, hub_context.event_key, desk.card(1500), desk.card(800, currency="PLN"), desk.report(1, 1500))
    assert _one(hub_context.db)["differences"] == [
        {"kind": "count", "currency": "PLN", "reported": 0, "hub": 1},
        {"kind": "amount", "currency": "PLN", "reported": 0, "hub": 800}]


def test_an_older_agents_batch_is_compared_by_its_time_window(hub_context):
    desk = Desk("desk-e10")
    inside = desk.card(1500, batch_no=None, captured_at="2026-11-22T09:00:00.000Z")
    before = desk.card(4000, batch_no=None, captured_at="2026-11-21T23:00:00.000Z")
    after = desk.card(2000, batch_no=None, captured_at="2026-11-22T18:30:00.000Z")
    # No batch number, no window start: from the start of the close's UTC day to the close.
    _store(hub_context.db, hub_context.event_key, before, inside, after,
           desk.report(1, 1500, batch_no=None, opened_at=None, office=None))
    report = _one(hub_context.db)
    assert (report["status"], report["hub_count"], report["opened_at"]) == ("matched", 1, "2026-11-22T00:00:00.000Z")


def test_a_terminal_without_totals_is_compared_by_the_agents_journal(hub_context):
    desk = Desk("desk-e11")
    _store(hub_context.db, hub_context.event_key, desk.card(1500),
           desk.report(None, None, journal={"card": {"count": 2, "total_minor": 3000}}))
    report = _one(hub_context.db)
    assert (report["reported_source"], report["status"]) == ("journal", "mismatch")
    assert {"kind": "count", "currency": "EUR", "reported": 2, "hub": 1} in report["differences"]


def test_every_card_payment_is_kept_with_its_batch_and_cash_is_not(hub_context):
    desk = Desk("desk-e12")
    _store(hub_context.db, hub_context.event_key, desk.card(1500, batch_no=4), desk.payment(700, tender="cash"))
    with hub_context.db.connect() as conn:
        rows = conn.execute(select(eod_card_payments.c.batch_no, eod_card_payments.c.terminal_id)).all()
    assert [tuple(r) for r in rows] == [(4, "T-01")]


def test_the_api_lists_mismatches_first_within_the_callers_offices(hub_context):
    api = Api(hub_context)
    riga, roma = Desk("desk-r"), Desk("desk-m")
    api.store(riga.card(1500), riga.report(1, 1500),
              roma.card(900, office="ROMA-1"), roma.report(2, 900, office="ROMA-1"))
    response = api.client.get("/api/v1/eod", headers=api.auth(api.token("auditor")))
    assert response.status_code == 200, response.text
    listed = response.json()
    assert listed["total"] == 2
    assert [(r["agent_id"], r["status"]) for r in listed["reports"]] == [("desk-m", "mismatch"), ("desk-r", "matched")]
    [mismatch] = [r for r in listed["reports"] if r["status"] == "mismatch"]
    assert (mismatch["reported"]["count"], mismatch["hub"]["count"]) == (2, 1)

    made = api.client.post("/api/v1/tokens", json={"name": "riga auditor", "role": "auditor", "offices": ["riga-1"]},
                           headers=api.auth(api.admin_token))
    scoped = api.auth(made.json()["token"])
    assert [r["agent_id"] for r in api.client.get("/api/v1/eod", headers=scoped).json()["reports"]] == ["desk-r"]
    assert api.client.get("/api/v1/eod?office=ROMA-1", headers=scoped).json()["total"] == 0
    filtered = api.client.get("/api/v1/eod?status=matched&date=2026-11-22&agent=desk-r",
                              headers=api.auth(api.admin_token)).json()
    assert [r["agent_id"] for r in filtered["reports"]] == ["desk-r"]
    assert api.client.get("/api/v1/eod?date=2026-11-23", headers=api.auth(api.admin_token)).json()["total"] == 0
    assert api.client.get("/api/v1/eod", headers=api.auth(api.token("operator"))).status_code == 403


def test_metrics_count_the_mismatches_and_a_late_payment_takes_one_off(hub_context):
    api = Api(hub_context)
    desk = Desk("desk-g")
    late = desk.card(2500)
    api.store(desk.card(1500), desk.report(2, 4000))
    scrape = lambda: api.client.get("/metrics", headers=api.auth(api.admin_token)).text  # noqa: E731
    assert "counterpay_eod_mismatches 1.0" in scrape()
    api.store(late)
    text = scrape()
    assert "counterpay_eod_mismatches 0.0" in text and "counterpay_eod_reports 1.0" in text


def test_a_report_of_an_agent_the_hub_does_not_know_is_refused_and_not_kept(hub_context, directory, mosquitto):
    worker = IngestWorker(hub_context, host="127.0.0.1", port=mosquitto.port, client_id=f"hub-{uuid.uuid4().hex[:6]}",
                          clean_start=True, session_expiry_s=0, gap_grace_s=0.3).start()
    refused = lambda: REGISTRY.get_sample_value("counterpay_hub_ingest_rejected_total",  # noqa: E731
                                                {"reason": "not_enrolled"}) or 0.0
    before = refused()
    known, stranger = Desk("desk-known"), Desk("desk-stranger")
    known.enroll(directory)
    client = WireClient(mosquitto.port, "eod-client", [known.agent_id, stranger.agent_id])
    try:
        client.send(stranger.report(1, 1500))
        client.send(known.card(1500))
        client.send(known.report(1, 1500))
        wait_until(lambda: len(client.acks(known.agent_id)) == 2, 10, "the known agent's events acked")
        wait_until(lambda: refused() == before + 1, 10, "the stranger's report refused")
        assert [(r["agent_id"], r["status"]) for r in _reports(hub_context.db)] == [("desk-known", "matched")]
        assert client.acks(stranger.agent_id) == []
    finally:
        client.close()
        worker.stop()


class _Enrolled:
    """The enrolled offices as the checker thread sees them: every key is riga-1's."""

    def office_of(self, kid: str) -> str:
        return "riga-1"


def test_a_report_naming_another_office_than_the_agents_is_refused_and_one_naming_none_passes():
    from hub.ingest.admission import refusal_of
    from hub.ingest.checks import Checked
    desk = Desk("desk-office")
    wrong = desk.report(1, 1500, office="ROMA-1")
    refusal = refusal_of(Checked("events", wrong), wrong.encode().decode(), _Enrolled())
    assert refusal is not None and refusal.reason == "office_mismatch"
    assert "end-of-day report names office 'ROMA-1'" in refusal.detail
    for fine in (desk.report(1, 1500), desk.report(1, 1500, office=None)):
        assert refusal_of(Checked("events", fine), fine.encode().decode(), _Enrolled()) is None
