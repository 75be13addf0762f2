"""A desk reads only its own office's roster (its operators' PIN verifiers), nobody else's.

Real enrollment of three desks (two of riga-1, one of tallinn) by the CA, the TLS broker
with the generated configuration and ACL, the real ingest connection with the hub's
connect-time publishing and the real roster feed: each desk hears its office's roster on
its own topic; a desk that subscribes to another desk's roster topic (of its office or
of another), to every desk's, or to the broadcast topics receives no roster; a roster
that an older hub left retained on the broadcast topic is cleared at connect; a desk
enrolled later hears its roster within one poll, and a revoked desk's copy is cleared.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from hub.config import Settings
from hub.context import HubContext
from hub.ingest.worker import IngestWorker
from hub.pki.ca import make_csr
from hub.pki.enrollment import EnrollmentRequest, create_token, enroll
from hub.pki.revocation import revoke_agent
from hub.pki.tls import hub_client_context
from hub.serve import publish_retained_state
from hub.users import desk_secret, service
from hub.users.roster_feed import RosterFeed, broadcast_roster_topic
from protocol.keys import SigningKey, public_raw
from protocol.wire import decode, topics
from protocol.wire.roster import ROSTER_MAX_BYTES
from tests.hub.conftest import hub_db  # noqa: F401  (fixture)
from tests.support.broker import have_mosquitto
from tests.support.pki_broker import TlsBroker, TlsClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")

PASSWORD = "correct horse battery staple"
EVERY_ROSTER = [f"{topics.PREFIX}/agents/+/roster", f"{topics.BROADCAST}/#", f"{topics.PREFIX}/#"]


class Site:
    def __init__(self, hub_db, tmp_path):
        self.tmp_path = tmp_path
        self.broker = TlsBroker(tmp_path / "hub").start()
        settings = Settings(database_url=hub_db.url, data_dir=self.broker.hub_dir)
        self.context = HubContext(settings=settings, db=hub_db, order_key=SigningKey.generate(),
                                  event_key=SigningKey.generate(), directory_ttl_s=0.0)
        self.feed = RosterFeed(self.context)
        self.worker: IngestWorker | None = None
        self.clients: list[TlsClient] = []
        self.keys: dict[str, tuple] = {}

    def connect_hub(self) -> None:
        self.worker = IngestWorker(self.context, host="127.0.0.1", port=self.broker.port,
                                   client_id=f"hub-{uuid.uuid4().hex[:6]}", tls=hub_client_context(self.context.settings),
                                   clean_start=True, session_expiry_s=0,
                                   on_connected=lambda: publish_retained_state(self.context, self.feed)).start()

    def enroll(self, agent_id: str, office: str) -> None:
        csr, tls_key = make_csr(agent_id)
        with self.context.db.begin() as conn:
            token, _ = create_token(conn, office, "test")
            result = enroll(conn, self.broker.ca, EnrollmentRequest(
                token, agent_id, csr.decode(), base64.b64encode(public_raw(SigningKey.generate().public_key)).decode()))
        cert_path, key_path = self.tmp_path / f"{agent_id}.pem", self.tmp_path / f"{agent_id}.key"
        cert_path.write_text(result.certificate_pem)
        key_path.write_bytes(tls_key)
        self.keys[agent_id] = (cert_path, key_path)

    def desk(self, agent_id: str) -> TlsClient:
        link = TlsClient(self.broker, agent_id, *self.keys[agent_id])
        assert link.connect(), f"{agent_id} with its enrolled certificate must be accepted"
        self.clients.append(link)
        return link

    def hub_reader(self) -> TlsClient:
        link = self.broker.hub_client(f"hub-reader-{uuid.uuid4().hex[:6]}")
        assert link.connect()
        self.clients.append(link)
        return link

    def close(self) -> None:
        for link in self.clients:
            link.close()
        if self.worker is not None:
            self.worker.stop()
        self.broker.stop()


@pytest.fixture
def site(hub_db, tmp_path):
    made = Site(hub_db, tmp_path)
    yield made
    made.close()


def _rosters(link: TlsClient) -> list[tuple[str, str, list[str]]]:
    """(topic, office, operator names) of every non-empty desk.roster the link received."""
    found = []
    for topic, payload in link.received():
        if not payload:
            continue
        try:
            envelope = decode(payload, ROSTER_MAX_BYTES)
        except Exception:       # the key directory and other broadcasts are not rosters
            continue
        if envelope.type == "desk.roster":
            found.append((topic, envelope.body["office"], [o["username"] for o in envelope.body["operators"]]))
    return found


def _user(conn, name: str, offices, pin: str) -> None:
    service.create(conn, name, PASSWORD, "desk", offices, "test")
    desk_secret.set_secret(conn, name, pin, "test")


def test_a_desk_hears_its_own_office_roster_and_no_other(site):
    for agent_id, office in (("riga-desk-1", "riga-1"), ("riga-desk-2", "riga-1"), ("tallinn-desk-1", "tallinn")):
        site.enroll(agent_id, office)
    with site.context.db.begin() as conn:
        _user(conn, "anna", ["riga-1"], "492817")
        _user(conn, "tom", ["tallinn"], "907153")
    # A broker that kept what an older hub retained per office, readable by every desk.
    planter = site.hub_reader()
    assert planter.publish(broadcast_roster_topic("tallinn"), b"tallinn's verifiers", retain=True) in (0, 16)
    site.connect_hub()
    reader = site.hub_reader()
    reader.subscribe(topics.desk_roster("riga-desk-1"))
    wait_until(lambda: _rosters(reader), 15, "riga-desk-1's roster retained by the hub's connect")

    riga = site.desk("riga-desk-1")
    assert riga.subscribe(topics.desk_roster("riga-desk-1")) == [1]
    for topic in (topics.desk_roster("riga-desk-2"), topics.desk_roster("tallinn-desk-1"),
                  broadcast_roster_topic("tallinn"), broadcast_roster_topic("riga-1"), *EVERY_ROSTER):
        riga.subscribe(topic)
    wait_until(lambda: _rosters(riga), 10, "riga-desk-1's own roster")
    # One connection's messages arrive in order: a roster published again to the desk's
    # own topic comes after anything retained elsewhere that the broker would deliver.
    site.feed.publish(everything=True)
    wait_until(lambda: len([r for r in _rosters(riga) if r[0] == topics.desk_roster("riga-desk-1")]) >= 4, 10,
               "the marker: riga-desk-1's roster again on its own topic and its wildcards")
    assert {r[0] for r in _rosters(riga)} == {topics.desk_roster("riga-desk-1")}
    assert {(office, tuple(names)) for _, office, names in _rosters(riga)} == {("riga-1", ("anna",))}
    assert not [p for t, p in riga.received() if t.startswith(f"{topics.BROADCAST}/operators/") and p]

    tallinn = site.desk("tallinn-desk-1")
    tallinn.subscribe(topics.desk_roster("tallinn-desk-1"))
    tallinn.subscribe(topics.desk_roster("riga-desk-1"))
    wait_until(lambda: _rosters(tallinn), 10, "tallinn-desk-1's own roster")
    assert [(o, n) for _, o, n in _rosters(tallinn)] == [("tallinn", ["tom"])]

    # The hub, which reads everything, finds no roster retained on the broadcast topics any more.
    after = site.hub_reader()
    after.subscribe(f"{topics.BROADCAST}/operators/#")
    after.subscribe(topics.desk_roster("riga-desk-2"))
    wait_until(lambda: _rosters(after), 10, "riga-desk-2's roster at the hub reader")
    assert [t for t, p in after.received() if t.startswith(f"{topics.BROADCAST}/operators/")] == []


def test_a_desk_enrolled_later_hears_its_roster_and_a_revoked_desks_copy_is_cleared(site):
    site.enroll("riga-desk-1", "riga-1")
    with site.context.db.begin() as conn:
        _user(conn, "anna", ["riga-1"], "492817")
    site.connect_hub()
    reader = site.hub_reader()
    reader.subscribe(topics.desk_roster("riga-desk-1"))
    wait_until(lambda: _rosters(reader), 15, "riga-desk-1's roster retained by the hub's connect")

    site.enroll("riga-desk-3", "riga-1")
    assert site.feed.publish() == 1                      # one poll: only the new desk's copy goes out
    late = site.desk("riga-desk-3")
    late.subscribe(topics.desk_roster("riga-desk-3"))
    wait_until(lambda: _rosters(late), 10, "riga-desk-3's roster")
    assert [(o, n) for _, o, n in _rosters(late)] == [("riga-1", ["anna"])]
    late.close()

    with site.context.db.begin() as conn:
        revoke_agent(conn, site.broker.ca, "riga-desk-3", "stolen", "test")
    assert site.feed.publish() == 1                      # the revoked desk's copy is cleared
    check = site.hub_reader()
    check.subscribe(topics.desk_roster("riga-desk-3"))
    check.subscribe(topics.desk_roster("riga-desk-1"))
    wait_until(lambda: _rosters(check), 10, "riga-desk-1's roster, still there")
    assert [t for t, _ in check.received() if t == topics.desk_roster("riga-desk-3")] == []
