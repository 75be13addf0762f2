"""The agents pages over real HTTP: office scope by list, typed URL and API; revoke and diagnostics audited."""

from __future__ import annotations

from hub.api.security import Principal
from hub.audit.search import AuditFilter, audit_page
from hub.ingest import fleet
from hub.pki.ca import CertificateAuthority, PkiPaths
from hub.users.scope import Scope
from tests.hub.ops_support import agent
from tests.hub.web_support import console


def _fleet(hub) -> None:
    with hub.db.begin() as conn:
        agent(conn, "desk-roma-1", "ROMA-1", serial="0a01")
        agent(conn, "desk-milano-1", "MILANO", online=False, serial="0b01")


def test_a_supervisor_of_office_a_sees_only_office_a_agents(tmp_path):
    with console(tmp_path) as hub:
        _fleet(hub)
        hub.user("sara", "supervisor", ["ROMA-1"])
        sara = hub.client()
        sara.login("sara")
        listed = sara.get("/agents")
        assert listed.status_code == 200
        assert "desk-roma-1" in listed.text and "desk-milano-1" not in listed.text
        assert sara.get("/agents/desk-roma-1").status_code == 200
        typed = sara.get("/agents/desk-milano-1")
        assert typed.status_code == 404 and "1.4.2" not in typed.text
        # acting on it by a forged form is refused the same way, and changes nothing
        asked = sara.post("/agents/desk-milano-1/diagnostics", data={"csrf_token": sara.csrf})
        assert asked.status_code == 404
        with hub.db.connect() as conn:
            assert audit_page(conn, AuditFilter(action="agent.diagnostics")).rows == []


def test_the_agents_list_filters_by_status_in_the_url_and_pages_by_key(tmp_path):
    with console(tmp_path) as hub:
        _fleet(hub)
        hub.user("boss", "admin")
        boss = hub.client()
        boss.login("boss")
        offline = boss.get("/agents?status=offline").text
        assert "desk-milano-1" in offline and "desk-roma-1" not in offline
        assert boss.get("/agents?office=ROMA-1").text.count("/agents/desk-") == 1
        assert boss.get("/agents?cursor=not-a-cursor").status_code == 400


def test_the_api_answers_agents_within_the_tokens_scope(tmp_path):
    with console(tmp_path) as hub:
        _fleet(hub)
        with hub.db.connect() as conn:
            rows = [{"agent_id": "desk-roma-1"}, {"agent_id": "desk-milano-1"}, {"agent_id": "never-enrolled"}]
            assert fleet.visible(conn, Scope.of(["ROMA-1"]), rows) == [{"agent_id": "desk-roma-1"}]
            assert len(fleet.visible(conn, Principal(1, "t", "admin").scope, rows)) == 3
            assert not fleet.sees_agent(conn, Scope.of(["ROMA-1"]), "desk-milano-1")


def test_asking_for_diagnostics_is_audited_under_the_users_name(tmp_path):
    with console(tmp_path) as hub:
        _fleet(hub)
        hub.user("sara", "supervisor", ["ROMA-1"])
        sara = hub.client()
        sara.login("sara")
        asked = sara.post("/agents/desk-roma-1/diagnostics", data={"csrf_token": sara.csrf})
        # this test hub has no broker connection: the page says the command was not sent
        assert asked.status_code == 303 and asked.headers["location"] == "/agents/desk-roma-1?done=not_sent"
        assert "no broker connection" in sara.get(asked.headers["location"]).text
        with hub.db.connect() as conn:
            entry, = audit_page(conn, AuditFilter(action="agent.diagnostics")).rows
        assert entry["actor"] == "user:sara" and entry["subject"] == "agent:desk-roma-1"


def test_revoking_needs_a_reason_a_confirmation_and_the_admin_role(tmp_path):
    with console(tmp_path) as hub:
        _fleet(hub)
        CertificateAuthority.create(PkiPaths.under(hub.settings.data_dir))
        hub.user("sara", "supervisor", ["ROMA-1"])
        hub.user("boss", "admin")
        sara = hub.client()
        sara.login("sara")
        assert "/revoke" not in sara.get("/agents/desk-roma-1").text
        assert sara.post("/agents/desk-roma-1/revoke", data={"csrf_token": sara.csrf, "reason": "stolen",
                                                            "confirm": "yes"}).status_code == 403
        boss = hub.client()
        boss.login("boss")
        assert boss.post("/agents/desk-roma-1/revoke", data={"reason": "stolen", "confirm": "yes"}).status_code == 403
        unconfirmed = boss.post("/agents/desk-roma-1/revoke", data={"csrf_token": boss.csrf, "reason": "stolen"})
        assert unconfirmed.status_code == 422 and 'id="confirm-error"' in unconfirmed.text
        assert 'value="stolen"' in unconfirmed.text
        done = boss.post("/agents/desk-roma-1/revoke", data={"csrf_token": boss.csrf, "reason": "stolen",
                                                            "confirm": "yes"})
        assert done.status_code == 303
        page = boss.get(done.headers["location"]).text
        assert 'id="agent-status">revoked<' in page and "The agent is revoked." in page
        with hub.db.connect() as conn:
            entry, = audit_page(conn, AuditFilter(action="agent.revoke")).rows
        assert entry["actor"] == "user:boss" and entry["details"]["reason"] == "stolen"
