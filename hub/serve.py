"""`counterpay hub serve`: the API on uvicorn, the ingest worker, and the delivery worker.

On every connection to the broker the hub publishes (retained) the key directory and
the current fee catalogue, so a broker that lost its retained messages gets them back.
"""

from __future__ import annotations

import logging
import ssl

import uvicorn

from protocol.wire import topics
from hub.api.app import create_app, context_from_settings
from hub.catalogue import service as catalogue
from hub.config import Settings
from hub.context import HubContext, optional_module
from hub.ingest.worker import IngestWorker

log = logging.getLogger(__name__)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.mqtt.tls:
        return None
    tls = optional_module("hub.pki.tls")
    if tls is not None:
        return tls.hub_client_context(settings)
    context = ssl.create_default_context(cafile=str(settings.mqtt.ca_file))
    if settings.mqtt.cert_file and settings.mqtt.key_file:
        context.load_cert_chain(str(settings.mqtt.cert_file), str(settings.mqtt.key_file))
    return context


def publish_retained_state(context: HubContext) -> None:
    with context.db.connect() as conn:
        document = catalogue.current(conn)
        keydir = optional_module("hub.pki.keydir")
        if keydir is not None:
            keydir.publish_key_directory(conn, context.publish, extra=context.hub_entries())
    if document is not None:
        context.publish(topics.CATALOGUE, catalogue.payload(document), retain=True)


def serve(settings: Settings, *, with_ingest: bool = True, with_delivery: bool = True) -> None:
    context = context_from_settings(settings)
    ingest = delivery = None
    if with_ingest:
        ingest = IngestWorker(context, host=settings.mqtt.host, port=settings.mqtt.port,
                              client_id=settings.mqtt.client_id, tls=tls_context(settings),
                              on_connected=lambda: publish_retained_state(context), store_process=True).start()
    worker = optional_module("hub.delivery.worker")
    if with_delivery and worker is not None:
        delivery = worker.BackgroundDelivery(context.db).start()
    try:
        uvicorn.run(create_app(settings, context=context), host=settings.api_host, port=settings.api_port,
                    log_level="info")
    finally:
        if ingest:
            ingest.stop()
        if delivery:
            delivery.stop()
        context.db.dispose()
