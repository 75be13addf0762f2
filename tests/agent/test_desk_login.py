"""Operators log in at the desk against the hub's last roster, offline; wrong tries lock a
name out, and the lock-out survives a restart; every payment carries the operator; a
roster that no longer lists the operator ends the session and refuses the next login."""

from __future__ import annotations

import datetime as dt
import json

import paho.mqtt.client as mqtt
import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings, strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from protocol.domain import Tender
from protocol.keys import SigningKey
from protocol.wire import WireError, make, topics
from protocol.wire.messages import body_of, build
from protocol.wire.roster import DeskRoster

from agent.desk_login import LOCK_S, MAX_TRIES, DeskLogin, lock_seconds
from agent.payments import PaymentRequest
from agent.store import Store, desk_operators
from agent.sync.desk_roster import receive

from tests.agent.conftest import AGENT_ID, write_config
from tests.agent.test_service import open_service
from tests.support.waiting import wait_until

OFFICE = "Riga 1"          # the office of write_config's desk
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)     # the hub's is slower; the check is the same
ANNA = {"username": "anna", "role": "desk", "verifier": FAST.hash("492817"), "changed_at": "2026-12-01T08:00:00Z"}
TOM = {"username": "tom", "role": "technician", "verifier": FAST.hash("907153"), "changed_at": "2026-12-01T08:00:00Z"}


def roster(key: SigningKey, entries: list[dict], office: str = OFFICE, time: str = "2026-12-04T08:00:00.000Z",
           sender: str = "hub") -> bytes:
    body = body_of(build(DeskRoster, office=office, operators=entries))
    return make(sender, 0, "desk.roster", body, key, time=time).encode()


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path / "agent.db")
    yield opened
    opened.close()


def test_a_verified_roster_is_stored_whole_and_replaces_the_previous_one(store, keys):
    assert receive(store, roster(keys.hub, [ANNA, TOM]), keys.directory, OFFICE) == 2
    assert desk_operators.find(store, "tom")["role"] == "technician"
    assert receive(store, roster(keys.hub, [TOM], time="2026-12-04T09:00:00.000Z"), keys.directory, OFFICE) == 1
    assert desk_operators.find(store, "anna") is None
    assert desk_operators.heard_at(store) == "2026-12-04T09:00:00.000Z"


@pytest.mark.parametrize("raw, reason", [
    (lambda k: roster(SigningKey.generate(), [ANNA]), "signature_"),
    (lambda k: roster(k.hub, [ANNA], office="Tallinn"), "wrong_office"),
    (lambda k: roster(k.hub, [ANNA], time="2026-12-04T07:59:59.000Z"), "stale"),
    (lambda k: roster(k.hub, [ANNA], sender="desk-2"), "wrong_sender"),
    (lambda k: roster(k.hub, [ANNA]).replace(b"m=8192", b"m=99999999"), "bad_body"),      # a verifier costing 95 GiB
    (lambda k: roster(k.hub, [ANNA]).replace(b'"role":"desk"', b'"role":"admin"'), "bad_body"),
    (lambda k: b'{"v": 1, "type": "desk.roster"', "not_json"),
])
def test_a_bad_or_hostile_roster_is_refused_and_the_desk_keeps_what_it_had(store, keys, raw, reason):
    receive(store, roster(keys.hub, [ANNA]), keys.directory, OFFICE)
    with pytest.raises(WireError) as refused:
        receive(store, raw(keys), keys.directory, OFFICE)
    assert refused.value.reason.startswith(reason), refused.value
    assert desk_operators.find(store, "anna") is not None


_KEYS: list = []


def _fuzz_keys():
    if not _KEYS:
        from tests.agent.conftest import Keys
        from protocol.keys import KeyDirectory
        hub = SigningKey.generate()
        directory = KeyDirectory()
        directory.add(hub.public_entry("hub", ["event", "order"]))
        _KEYS.append(Keys(SigningKey.generate(), hub, directory))
    return _KEYS[0]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=600),
                 st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)).map(
                     lambda flip: ("flip", flip))))
def test_any_bytes_on_the_roster_topic_are_refused_with_a_reason_and_the_roster_stays(data):
    keys = _fuzz_keys()
    store = Store.open(":memory:")
    try:
        receive(store, roster(keys.hub, [ANNA]), keys.directory, OFFICE)
        if isinstance(data, tuple):            # one byte of a good roster changed
            good = bytearray(roster(keys.hub, [TOM], time="2026-12-04T09:00:00.000Z"))
            at, value = data[1][0] % len(good), data[1][1]
            good[at] = value
            raw = bytes(good)
        else:
            raw = data
        try:
            receive(store, raw, keys.directory, OFFICE)
        except WireError as exc:
            assert exc.reason and str(exc)
            assert desk_operators.find(store, "anna") is not None
        else:                                  # only a roster still signed by the hub is taken
            assert desk_operators.find(store, "tom") is not None
    finally:
        store.close()


def test_a_login_is_checked_against_the_roster_and_the_mode(store, keys):
    clerk, technician = DeskLogin(store, "clerk"), DeskLogin(store, "technician")
    assert clerk.login("anna", "492817").refused == "no_roster"          # nobody before the hub said who
    receive(store, roster(keys.hub, [ANNA, TOM]), keys.directory, OFFICE)
    assert clerk.login(" Anna ", "492817").operator.username == "anna"
    assert clerk.login("tom", "907153").refused == "role"                # a technician is no clerk
    assert technician.login("anna", "492817").refused == "role"          # technician mode needs a technician
    assert technician.login("tom", "907153").operator.role == "technician"
    wrong, unknown = clerk.login("anna", "111111"), clerk.login("nobody", "492817")
    assert (wrong.refused, wrong.tries_left) == (unknown.refused, unknown.tries_left) == ("wrong", MAX_TRIES - 1)


def test_wrong_tries_lock_the_name_out_and_a_restart_does_not_reset_it(tmp_path, keys):
    now = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.timezone.utc)
    store = Store.open(tmp_path / "agent.db")
    receive(store, roster(keys.hub, [ANNA]), keys.directory, OFFICE)
    login = DeskLogin(store, "clerk", clock=lambda: now)
    answers = [login.login("anna", "000000").refused for _ in range(MAX_TRIES)]
    assert answers == ["wrong"] * (MAX_TRIES - 1) + ["locked"]
    store.close()

    store = Store.open(tmp_path / "agent.db")          # the agent restarted
    login = DeskLogin(store, "clerk", clock=lambda: now + dt.timedelta(seconds=LOCK_S - 1))
    locked = login.login("anna", "492817")             # even the right PIN waits
    assert (locked.refused, locked.wait_s) == ("locked", 1)
    assert DeskLogin(store, "clerk", clock=lambda: now).login("bert", "000000").refused == "wrong"   # per name

    later = now + dt.timedelta(seconds=LOCK_S)
    login.clock = lambda: later
    assert [login.login("anna", "000000").refused for _ in range(MAX_TRIES)][-1] == "locked"
    assert login.login("anna", "492817").wait_s == 2 * LOCK_S            # the second lock is twice as long
    login.clock = lambda: later + dt.timedelta(seconds=2 * LOCK_S)
    assert login.login("anna", "492817").operator is not None            # a success clears the count
    assert desk_operators.failures_of(store, "anna") is None
    store.close()


def test_lock_times_double_up_to_an_hour():
    assert [lock_seconds(n) for n in (1, 4, 5, 9, 10, 15, 40)] == [0, 0, 300, 0, 600, 1200, 3600]


def test_no_payment_without_a_login_and_every_payment_carries_the_operator(tmp_path, keys):
    service = open_service(write_config(tmp_path, keys, login=True))
    try:
        receive(service.store, roster(keys.hub, [ANNA]), keys.directory, OFFICE)
        cash = PaymentRequest(1700, "EUR", Tender.CASH, operator="someone-typed-this")
        refused = service.pay(cash)
        assert (refused.outcome, refused.reason) == ("refused", "login_required")
        assert service.store.scalar("SELECT COUNT(*) FROM journal") == 0
        assert service.login("anna", "492817").operator.username == "anna"
        assert service.status().operator == "anna"
        paid = service.pay(PaymentRequest(1700, "EUR", Tender.CASH, operator="someone-typed-this"))
        assert paid.outcome == "approved"
        assert service.store.scalar("SELECT operator FROM journal WHERE intent_id = ?", (paid.payment_id,)) == "anna"
        envelope = json.loads(service.store.scalar("SELECT envelope FROM outbox WHERE payment_id = ?",
                                                   (paid.payment_id,)))
        assert envelope["body"]["operator"] == "anna"
        assert any(line.startswith("Operator") and line.endswith("anna") for line in paid.receipt_lines)
        service.logout()
        assert service.status().operator is None
        assert service.pay(PaymentRequest(1700, "EUR", Tender.CASH)).reason == "login_required"
    finally:
        service.close()


def test_a_kiosk_needs_no_login(tmp_path, keys):
    from agent.config import load
    config = write_config(tmp_path, keys, login=True)
    assert load(config, "kiosk").login_required is False
    assert load(config, "cashier").login_required is True


def _hub_client(port: int) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-hub", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_over_mqtt_a_roster_without_the_operator_ends_the_session_and_refuses_the_next_login(
        tmp_path, keys, mosquitto):
    hub = _hub_client(mosquitto.port)
    try:
        hub.publish(topics.KEYS, json.dumps(keys.directory.to_json()), qos=1, retain=True).wait_for_publish(5)
        hub.publish(topics.desk_roster(AGENT_ID), roster(keys.hub, [ANNA]), qos=1, retain=True).wait_for_publish(5)
        # Another desk's roster, and one on the broadcast topic rosters were once retained on.
        hub.publish(topics.desk_roster("desk-tallinn"), roster(keys.hub, [TOM], office="Tallinn"), qos=1,
                    retain=True).wait_for_publish(5)
        hub.publish(f"{topics.BROADCAST}/operators/Riga%201", roster(keys.hub, [TOM]), qos=1,
                    retain=True).wait_for_publish(5)
        service = open_service(write_config(tmp_path, keys, broker=mosquitto.url, login=True))
        try:
            wait_until(lambda: desk_operators.find(service.store, "anna") is not None, 15, "the roster heard")
            assert desk_operators.find(service.store, "tom") is None          # only our own topic is heard
            assert service.login("anna", "492817").operator is not None
            hub.publish(topics.desk_roster(AGENT_ID), roster(keys.hub, [], time="2026-12-04T10:00:00.000Z"), qos=1,
                        retain=True).wait_for_publish(5)                      # the hub disabled anna
            wait_until(lambda: service.status().operator is None, 15, "anna logged out by the roster")
            assert service.login("anna", "492817").refused == "wrong"
        finally:
            service.close()
    finally:
        hub.loop_stop()
        hub.disconnect()


def test_agent_status_tells_the_technician_about_the_roster_and_lock_outs(tmp_path, keys):
    from click.testing import CliRunner
    from agent.cli import agent as agent_cli
    config = write_config(tmp_path, keys, login=True)
    service = open_service(config)
    try:
        receive(service.store, roster(keys.hub, [ANNA, TOM]), keys.directory, OFFICE)
        for _ in range(MAX_TRIES):
            service.login("anna", "000000")
    finally:
        service.close()
    shown = CliRunner().invoke(agent_cli, ["status", "--config", str(config), "--json"])
    report = json.loads(shown.output)
    assert (report["login_required"], report["desk_operators"], report["locked_out"]) == (True, 2, ["anna"])
    assert report["desk_roster_heard_at"] == "2026-12-04T08:00:00.000Z"
    text = CliRunner().invoke(agent_cli, ["status", "--config", str(config)]).output
    assert "desk login: required; roster of 2 operators heard 2026-12-04T08:00:00.000Z; locked out now: anna" in text


BERT = {"username": "bert", "role": "desk", "verifier": FAST.hash("583920"), "changed_at": "2026-12-01T08:00:00Z"}


def test_a_day_offline_shifts_change_a_lock_out_expires_and_every_payment_names_its_operator(tmp_path, keys):
    """No broker all day: the roster heard yesterday is all the desk has.  The desk's clock
    is moved through the day (the lock-out counts on it); payments are real cash payments."""
    config = write_config(tmp_path, keys, login=True)       # no [hub] broker: offline
    service = open_service(config)
    receive(service.store, roster(keys.hub, [ANNA, BERT], time="2026-12-03T17:00:00.000Z"), keys.directory, OFFICE)
    morning = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.timezone.utc)
    taken: list[tuple[str, str]] = []

    def at(hours: float) -> None:
        service.desk_login.clock = lambda: morning + dt.timedelta(hours=hours)

    def pay(amount: int) -> None:
        paid = service.pay(PaymentRequest(amount, "EUR", Tender.CASH))
        assert paid.outcome == "approved", paid
        taken.append((paid.payment_id, service.operator))

    try:
        at(0)
        assert service.login("anna", "492817").operator is not None
        pay(1700)
        pay(4500)
        service.logout()
        at(4)                                                  # noon: bert's shift, a typo too many
        for _ in range(MAX_TRIES):
            service.login("bert", "583902")
        at(4.05)
        assert service.login("bert", "583920").refused == "locked"
        service.close()                                        # the PC is restarted over lunch
        service = open_service(config)
        at(4 + LOCK_S / 3600 + 0.01)
        assert service.login("bert", "583920").operator.username == "bert"
        pay(2500)
        service.logout()
        at(8)
        assert service.login("anna", "492817").operator is not None
        pay(1200)
        rows = {r["intent_id"]: r["operator"] for r in service.store.query("SELECT intent_id, operator FROM journal")}
        events = {json.loads(r["envelope"])["body"]["payment_id"]: json.loads(r["envelope"])["body"]["operator"]
                  for r in service.store.query("SELECT envelope FROM outbox WHERE type = 'payment.captured'")}
    finally:
        service.close()
    assert [operator for _, operator in taken] == ["anna", "anna", "bert", "anna"]
    assert all(rows[payment] == operator == events[payment] for payment, operator in taken)
