"""`counterpay hub serve`: the hub's processes by role, from one configuration file.

    api        the REST API and the web console on uvicorn ([api] host and port, or --port);
               without ingest in the same process, it publishes through a broker connection
               of its own under --worker NAME (without one it publishes nothing)
    ingest     the MQTT ingest worker on the shared subscription, with its store process
    delivery   the webhook delivery worker
    jobs       the scheduled jobs (hub/jobs/runner.py: retention), each in one process at a time
    all        every one of them (the default: one process runs the whole hub)

Several processes may run any role against one database (PostgreSQL): ingest workers
share the stream, delivery workers claim rows with leases, jobs take locks, API
processes keep nothing of their own (sessions, throttling and shown-once secrets are
rows).  Each process that talks to the broker needs an identity of its own, since the
broker throws out a second connection with the same certificate: `--worker NAME` takes
the client id ``hub-NAME`` and, with TLS, the certificate `hub worker-cert --name NAME`
issued; the delivery worker's leases carry that name too.

Each part is built from the settings by a function of its own (`build_ingest`,
`build_delivery`, `build_server`), so what a setting does can be checked on the very
part `serve` runs.  On every connection to the broker an ingest worker publishes
(retained) the key directory, the current fee catalogue (shared and offices' own), every
office's order state (cancelled and changed orders, hub/orders/state_feed.py) and where its
desks take cards (hub/activation/feed.py), so a broker that lost its retained messages gets
them back; and every office's desk roster (who may log in at its desks,
hub/users/roster_feed.py), which it publishes again within seconds of a change.
"""

from __future__ import annotations

import logging
import signal
import ssl
import threading
import time
from dataclasses import dataclass, replace

import uvicorn
from sqlalchemy.exc import OperationalError

from protocol.wire import topics
from hub.activation import feed as card_feed
from hub.api.app import create_app, context_from_settings
from hub.catalogue import service as catalogue
from hub.config import WELL_KNOWN_SHARE_GROUP, ConfigError, Settings
from hub.context import HubContext
from hub.delivery.worker import BackgroundDelivery, worker_options
from hub.ingest.worker import IngestWorker
from hub.jobs.runner import JobsRunner
from hub.mqtt_publisher import BrokerPublisher
from hub.orders import state_feed
from hub.pki import keydir
from hub.pki.ca import HUB_IDENTITY_PREFIX, PkiPaths
from hub.pki.setup import WORKER_NAME_RE
from hub.pki.tls import client_context, hub_client_context
from hub.store.db import Database
from hub.users.roster_feed import RosterFeed

log = logging.getLogger(__name__)

ROLES = ("api", "ingest", "delivery", "jobs")
ALL = "all"


def roles_of(given: tuple[str, ...] | list[str]) -> frozenset[str]:
    """The roles `--role` names (several may be given; `all` or none: every role)."""
    chosen = set(given) or {ALL}
    return frozenset(ROLES) if ALL in chosen else frozenset(chosen)


@dataclass(frozen=True)
class Identity:
    """Who this process is at the broker and in delivery leases."""
    client_id: str
    cert_file: object = None      # Path of its certificate with TLS (None: [mqtt] cert_file or pki/hub.pem)
    key_file: object = None


def identity_of(settings: Settings, worker: str | None) -> Identity:
    """`--worker NAME` → client id ``hub-NAME`` and that worker's certificate; none → [mqtt] as configured."""
    if worker is None:
        return Identity(settings.mqtt.client_id)
    if not WORKER_NAME_RE.match(worker):
        raise ConfigError(f"--worker {worker!r}: use 1-41 lower-case letters, digits, '.', '_' or '-'")
    paths = PkiPaths.under(settings.data_dir)
    cert, key = paths.worker_cert(worker), paths.worker_key(worker)
    if settings.mqtt.tls and not (cert.exists() and key.exists()):
        raise ConfigError(f"--worker {worker}: no certificate {cert}; issue it first with "
                          f"`counterpay hub worker-cert --config {settings.config_path} --name {worker}`")
    return Identity(f"{HUB_IDENTITY_PREFIX}{worker}", cert, key)


def tls_context(settings: Settings, identity: Identity | None = None) -> ssl.SSLContext | None:
    if not settings.mqtt.tls:
        return None
    if identity is None or identity.cert_file is None:
        return hub_client_context(settings)
    return client_context(settings.mqtt.ca_file or PkiPaths.under(settings.data_dir).ca_cert,
                          identity.cert_file, identity.key_file)


def publish_retained_state(context: HubContext, rosters: RosterFeed | None = None) -> None:
    with context.db.connect() as conn:
        document = catalogue.current(conn)
        office_documents = catalogue.published_offices(conn)
        keydir.publish_key_directory(conn, context.publish, extra=context.hub_entries())
        # After the key directory: a desk verifies the order state with the hub key in it.
        state_feed.publish_all(conn, context)
        card_feed.publish_all(conn, context)
    if document is not None:
        context.publish(topics.CATALOGUE, catalogue.payload(document), retain=True)
    if rosters is not None:
        rosters.publish(everything=True)
    for office_document in office_documents:
        context.publish(catalogue.topic(office_document["office"]), catalogue.payload(office_document), retain=True)


def build_ingest(settings: Settings, context: HubContext, identity: Identity | None = None,
                 rosters: RosterFeed | None = None) -> IngestWorker:
    """The MQTT ingest worker for [mqtt], not started yet."""
    if settings.mqtt.share_group == WELL_KNOWN_SHARE_GROUP:
        log.warning("[mqtt] share_group is the well-known %r: an enrolled agent can join the group and take "
                    "turns of the event stream; set a random one (e.g. hub-<16 hex digits>) for every worker",
                    WELL_KNOWN_SHARE_GROUP)
    identity = identity or Identity(settings.mqtt.client_id)
    return IngestWorker(context, host=settings.mqtt.host, port=settings.mqtt.port, client_id=identity.client_id,
                        tls=tls_context(settings, identity),
                        on_connected=lambda: publish_retained_state(context, rosters),
                        store_process=True, share_group=settings.mqtt.share_group)


def build_delivery(settings: Settings, context: HubContext, identity: Identity | None = None) -> BackgroundDelivery:
    """The webhook delivery worker for [delivery], not started yet; its leases carry the identity's name."""
    owner = identity.client_id if identity is not None else None
    return BackgroundDelivery(context.db, **worker_options(settings.delivery), owner=owner)


def build_server(settings: Settings, context: HubContext) -> uvicorn.Server:
    """The REST API on [api] host and port, not started yet."""
    config = uvicorn.Config(create_app(settings, context=context), host=settings.api_host, port=settings.api_port,
                            log_level="info")
    return uvicorn.Server(config)


def serve(settings: Settings, *, roles: frozenset[str] = frozenset(ROLES), worker: str | None = None,
          port: int | None = None) -> None:
    """Run `roles` in this process until SIGTERM or SIGINT."""
    if port is not None:
        settings = replace(settings, api_port=port)
    identity = identity_of(settings, worker)
    context = context_from_settings(settings, open_database(settings.database_url))
    started: list = []
    try:
        if "ingest" in roles:
            # The desk rosters go out on the ingest's connection, as the retained state does.
            rosters = RosterFeed(context)
            started.append(build_ingest(settings, context, identity, rosters).start())
            started.append(rosters.start())
        elif "api" in roles and worker is None:
            # The default identity is the ingest workers' (pki/hub.pem): sharing it would throw one of them out.
            log.warning("this API process has no broker connection: catalogue, order state and commands to agents "
                        "are not published from it; give it --worker NAME of its own")
        elif "api" in roles:
            publisher = BrokerPublisher(host=settings.mqtt.host, port=settings.mqtt.port,
                                        client_id=identity.client_id, tls=tls_context(settings, identity)).start()
            context.publisher = publisher.publish
            started.append(publisher)
        if "delivery" in roles:
            started.append(build_delivery(settings, context, identity).start())
        if "jobs" in roles:
            started.append(JobsRunner(context.db).start())
        log.info("hub serve: roles %s as %s", ", ".join(r for r in ROLES if r in roles), identity.client_id)
        if "api" in roles:
            build_server(settings, context).run()      # uvicorn handles SIGTERM and SIGINT itself
        else:
            _wait_for_signal()
    finally:
        for part in reversed(started):
            part.stop()
        context.db.dispose()


def open_database(url: str, *, first_wait_s: float = 0.5, longest_wait_s: float = 10.0) -> Database:
    """The database, waited for: a process that starts while PostgreSQL restarts (or before it is
    up, at boot) keeps trying instead of exiting, and says so in its log."""
    wait = first_wait_s
    while True:
        try:
            return Database.open(url)
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0][:300]
            log.warning("the database is not reachable (%s); trying again in %.1f s", reason, wait)
            time.sleep(wait)
            wait = min(wait * 2, longest_wait_s)


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
