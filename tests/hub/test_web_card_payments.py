"""/card-payments over real HTTP: the page needs activation.read, a step needs the role's own
permission (an operator submits but does not approve, a supervisor reviews but does not submit),
every post needs the session's CSRF token, another office is not found, and a refused step says
what is missing without changing anything."""

from __future__ import annotations

from hub.activation import applications
from hub.users.scope import Scope
from tests.hub.activation_support import publish_catalogue, register_contract
from tests.hub.web_support import console


def test_roles_csrf_and_office_scope_on_the_card_payments_page(tmp_path):
    with console(tmp_path) as hub:
        with hub.db.begin() as conn:
            publish_catalogue(conn)
        hub.user("op", "operator", ["RIGA-1"])
        hub.user("sup", "supervisor", None)
        hub.user("fin", "finance", None)
        hub.user("desk", "desk", ["RIGA-1"])
        operator, supervisor, finance = hub.client(), hub.client(), hub.client()
        for client, name in ((operator, "op"), (supervisor, "sup"), (finance, "fin")):
            assert client.login(name).status_code == 303
        base = "/card-payments/RIGA-1/VEH"

        missing = operator.post(f"{base}/submit", data={"csrf_token": operator.csrf})
        assert missing.status_code == 409 and "a card-payment contract of office RIGA-1" in missing.text
        with hub.db.connect() as conn:
            assert applications.applications(conn, Scope.everything()) == []
        with hub.db.begin() as conn:
            register_contract(conn)

        assert operator.post(f"{base}/submit", data={}).status_code == 403                  # no CSRF token
        assert supervisor.post(f"{base}/submit", data={"csrf_token": supervisor.csrf}).status_code == 403
        done = operator.post(f"{base}/submit", data={"csrf_token": operator.csrf})
        assert done.status_code == 303 and done.headers["location"] == "/card-payments?office=RIGA-1&done=submit"
        assert operator.post(f"{base}/approve", data={"csrf_token": operator.csrf}).status_code == 403
        assert finance.post(f"{base}/approve", data={"csrf_token": finance.csrf}).status_code == 403
        no_text = supervisor.post(f"{base}/comment", data={"csrf_token": supervisor.csrf, "text": " "})
        assert no_text.status_code == 422 and 'aria-invalid="true"' in no_text.text
        assert supervisor.post(f"{base}/approve", data={"csrf_token": supervisor.csrf}).status_code == 303
        assert "active" in finance.get("/card-payments?office=RIGA-1").text                # finance reads

        assert operator.get("/card-payments?office=ROMA-1").status_code == 404
        assert operator.post("/card-payments/ROMA-1/VEH/submit", data={"csrf_token": operator.csrf}).status_code \
            == 404
        assert operator.post(f"{base}/explode", data={"csrf_token": operator.csrf}).status_code == 404
        assert hub.client().login("desk").status_code != 303                                  # desk staff: no console
