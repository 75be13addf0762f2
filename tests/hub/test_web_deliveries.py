"""The deliveries and audit pages over real HTTP: office scope, replay through the console, CSRF, audit entries."""

from __future__ import annotations

from sqlalchemy import select

from hub.audit.search import AuditFilter, audit_page
from hub.delivery import listing
from hub.delivery.replay import replay
from hub.finance.reconcile import matching
from hub.store.tables import payments
from hub.users.scope import Scope
from hub.web.figures import delivery_counts
from tests.finance.reconcile_support import add_order, flow, flow_payment, import_flow
from tests.hub.ops_support import agent, delivery
from tests.hub.web_support import console

FLOW_ID = "2026-11-20SELBIT2B-S000000031"
IUV_ROMA, IUV_MILANO = "04000000000000001", "04000000000000002"


def _two_offices(hub) -> None:
    with hub.db.begin() as conn:
        agent(conn, "desk-roma-1", "ROMA-1", serial="0a01")
        agent(conn, "desk-milano-1", "MILANO", serial="0b01")
        delivery(conn, "ev-roma", "desk-roma-1")
        delivery(conn, "ev-milano", "desk-milano-1")
        delivery(conn, "ev-roma-waiting", "desk-roma-1", status="pending")


def test_an_operator_of_office_a_sees_and_replays_only_office_a_deliveries(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        hub.user("sara", "supervisor", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        dead = anna.get("/deliveries/dead").text
        assert "ev-roma" in dead and "ev-milano" not in dead and "HTTP 500 from https://tax.example/hook" in dead
        assert "ev-roma-waiting" in anna.get("/deliveries").text
        assert anna.get("/deliveries/ev-milano").status_code == 404
        # an operator reads but may not replay
        assert anna.post("/deliveries/ev-roma/replay", data={"csrf_token": anna.csrf}).status_code == 403
        sara = hub.client()
        sara.login("sara")
        assert sara.post("/deliveries/ev-milano/replay", data={"csrf_token": sara.csrf}).status_code == 404
        assert sara.post("/deliveries/ev-roma/replay", data={}).status_code == 403       # no CSRF token
        done = sara.post("/deliveries/ev-roma/replay", data={"csrf_token": sara.csrf})
        assert done.status_code == 303
        assert 'id="delivery-status">waiting<' in sara.get(done.headers["location"]).text
        with hub.db.connect() as conn:
            entry, = audit_page(conn, AuditFilter(action="delivery.replay")).rows
            assert entry["actor"] == "user:sara" and entry["details"]["event_ids"] == ["ev-roma"]
            assert listing.delivery_in_scope(conn, Scope.everything(), "ev-milano")["status"] == "dead"


def test_a_time_range_replay_takes_only_the_viewers_offices(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("sara", "supervisor", ["ROMA-1"])
        sara = hub.client()
        sara.login("sara")
        refused = sara.post("/deliveries/replay", data={"csrf_token": sara.csrf})
        assert refused.status_code == 422 and 'id="since-error"' in refused.text
        done = sara.post("/deliveries/replay", data={"csrf_token": sara.csrf, "since": "2000-01-01",
                                                     "until": "2999-12-31"})
        assert done.status_code == 303 and "replayed=1" in done.headers["location"]
        assert "1 dead letters are queued again" in sara.get(done.headers["location"]).text
        with hub.db.connect() as conn:
            assert listing.delivery_in_scope(conn, Scope.everything(), "ev-milano")["status"] == "dead"
            assert listing.delivery_in_scope(conn, Scope.everything(), "ev-roma")["status"] == "pending"


def test_the_replay_service_finds_nothing_of_another_office(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        with hub.db.begin() as conn:
            outcome = replay(conn, actor="test", event_ids=["ev-milano"], scope=Scope.of(["ROMA-1"]))
        assert outcome["not_found"] == ["ev-milano"] and outcome["replayed"] == []


def test_the_audit_page_searches_and_its_verify_button_says_the_chain_is_intact(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("ada", "auditor")
        hub.user("anna", "operator", ["ROMA-1"])
        with hub.db.begin() as conn:
            replay(conn, actor="user:sara", event_ids=["ev-roma"])
        ada = hub.client()
        ada.login("ada")
        found = ada.get("/audit?action=delivery.&actor=user:*").text
        assert "user:sara" in found and "user.create" not in found
        assert "user.create" in ada.get("/audit?actor=test").text
        assert ada.post("/audit/verify", data={}).status_code == 403
        verdict = ada.post("/audit/verify", data={"csrf_token": ada.csrf}, headers={"HX-Request": "true"})
        assert verdict.status_code == 200 and "The audit log is intact" in verdict.text
        anna = hub.client()
        anna.login("anna")
        assert anna.get("/audit").status_code == 403


def test_an_office_user_sees_the_deliveries_of_its_offices_pagopa_payments_and_never_another_offices(tmp_path):
    with console(tmp_path) as hub:
        with hub.db.begin() as conn:
            add_order(conn, "CP1", iuv=IUV_ROMA, office="ROMA-1")
            add_order(conn, "CP2", iuv=IUV_MILANO, office="MILANO")
            import_flow(conn, flow(FLOW_ID, flow_payment(1, IUV_ROMA, 1600)), office="ROMA-1")
            import_flow(conn, flow(FLOW_ID, flow_payment(1, IUV_MILANO, 1600)), office="MILANO")
            assert matching.run(conn).payments_made == 2
            by_order = dict(conn.execute(select(payments.c.linked_order_id, payments.c.payment_id)
                                         .where(payments.c.channel == "pagopa")).all())
        roma, milano = by_order["CP1"], by_order["CP2"]
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        page = anna.get("/deliveries").text
        assert roma in page and milano not in page
        assert anna.get(f"/deliveries/{roma}").status_code == 200
        assert anna.get(f"/deliveries/{milano}").status_code == 404
        assert [d["event_id"] for d in anna.get("/api/v1/deliveries").json()] == [roma]
        assert anna.get(f"/api/v1/deliveries/{roma}").json()["payload"]["data"]["payment"]["office"] == "ROMA-1"
        assert anna.get(f"/api/v1/deliveries/{milano}").status_code == 404
        hub.user("boss", "admin")
        boss = hub.client()
        boss.login("boss")
        assert {d["event_id"] for d in boss.get("/api/v1/deliveries").json()} == {roma, milano}
        with hub.db.connect() as conn:
            assert delivery_counts(conn, Scope.of(["ROMA-1"])) == (1, 0)
            assert delivery_counts(conn, Scope.of(["NAPOLI"])) == (0, 0)
            assert delivery_counts(conn, Scope.everything()) == (2, 0)
