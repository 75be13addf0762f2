"""`counterpay hub serve`: the API on uvicorn, the ingest worker, and the delivery worker.

Each part is built from the settings by a function of its own (`build_ingest`,
`build_delivery`, `build_server`), so what a setting does can be checked on the very
part `serve` runs.  On every connection to the broker the hub publishes (retained) the
key directory, the current fee catalogue, every office's order state (cancelled and
changed orders, hub/orders/state_feed.py) and where its desks take cards
(hub/activation/feed.py), so a broker that lost its retained messages gets them back;
and every office's desk roster (who may log in at its desks, hub/users/roster_feed.py),
which it publishes again within seconds of a change.
"""

from __future__ import annotations

import logging
import ssl

import uvicorn

from protocol.wire import topics
from hub.activation import feed as card_feed
from hub.api.app import create_app, context_from_settings
from hub.catalogue import service as catalogue
from hub.config import WELL_KNOWN_SHARE_GROUP, Settings
from hub.context import HubContext
from hub.delivery.worker import BackgroundDelivery, worker_options
from hub.ingest.worker import IngestWorker
from hub.orders import state_feed
from hub.pki import keydir
from hub.pki.tls import hub_client_context
from hub.users.roster_feed import RosterFeed

log = logging.getLogger(__name__)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    return hub_client_context(settings) if settings.mqtt.tls else None


def publish_retained_state(context: HubContext, rosters: RosterFeed | None = None) -> None:
    with context.db.connect() as conn:
        document = catalogue.current(conn)
        keydir.publish_key_directory(conn, context.publish, extra=context.hub_entries())
        # After the key directory: a desk verifies the order state with the hub key in it.
        state_feed.publish_all(conn, context)
        card_feed.publish_all(conn, context)
    if document is not None:
        context.publish(topics.CATALOGUE, catalogue.payload(document), retain=True)
    if rosters is not None:
        rosters.publish(everything=True)


def build_ingest(settings: Settings, context: HubContext, rosters: RosterFeed | None = None) -> IngestWorker:
    """The MQTT ingest worker for [mqtt], not started yet."""
    if settings.mqtt.share_group == WELL_KNOWN_SHARE_GROUP:
        log.warning("[mqtt] share_group is the well-known %r: an enrolled agent can join the group and take "
                    "turns of the event stream; set a random one (e.g. hub-<16 hex digits>) for every worker",
                    WELL_KNOWN_SHARE_GROUP)
    return IngestWorker(context, host=settings.mqtt.host, port=settings.mqtt.port, client_id=settings.mqtt.client_id,
                        tls=tls_context(settings), on_connected=lambda: publish_retained_state(context, rosters),
                        store_process=True, share_group=settings.mqtt.share_group)


def build_delivery(settings: Settings, context: HubContext) -> BackgroundDelivery:
    """The webhook delivery worker for [delivery], not started yet."""
    return BackgroundDelivery(context.db, **worker_options(settings.delivery))


def build_server(settings: Settings, context: HubContext) -> uvicorn.Server:
    """The REST API on [api] host and port, not started yet."""
    config = uvicorn.Config(create_app(settings, context=context), host=settings.api_host, port=settings.api_port,
                            log_level="info")
    return uvicorn.Server(config)


def serve(settings: Settings, *, with_ingest: bool = True, with_delivery: bool = True) -> None:
    context = context_from_settings(settings)
    rosters = RosterFeed(context) if with_ingest else None
    ingest = build_ingest(settings, context, rosters).start() if with_ingest else None
    if rosters is not None:
        rosters.start()
    delivery = build_delivery(settings, context).start() if with_delivery else None
    try:
        build_server(settings, context).run()
    finally:
        if rosters:
            rosters.stop()
        if ingest:
            ingest.stop()
        if delivery:
            delivery.stop()
        context.db.dispose()
