"""Requests an agent sends on its events topic that the hub answers instead of storing.

Today one kind: `certificate.request` (hub/pki/renewal.py).  The ingest's checks have
already proved the sender (topic = envelope agent, the agent's unrevoked key signed it);
the answer is signed with the hub's event key and goes to `…/A/cmd`.  The CA is loaded
from `<data_dir>/pki` on first use: a worker on a host without the CA refuses with a
reason the agent logs, and the agent asks again later.
"""

from __future__ import annotations

import logging
import threading

from protocol.wire import Envelope, make, topics
from protocol.wire.messages import REQUEST_TYPES, CertificateRequest, CertificateAnswer, body_of
from hub.context import HubContext
from hub.pki.ca import CertificateAuthority, PkiPaths
from hub.pki.renewal import renew

log = logging.getLogger(__name__)


class AgentRequests:
    def __init__(self, context: HubContext):
        self.context = context
        self._ca: CertificateAuthority | None = None
        self._lock = threading.Lock()

    @staticmethod
    def takes(envelope: Envelope) -> bool:
        return envelope.type in REQUEST_TYPES

    def _authority(self) -> CertificateAuthority | None:
        with self._lock:
            if self._ca is None:
                try:
                    self._ca = CertificateAuthority.load(PkiPaths.under(self.context.settings.data_dir))
                except (FileNotFoundError, ValueError) as exc:
                    log.error("cannot renew agent certificates here: %s", exc)
                    return None
            return self._ca

    def answer(self, envelope: Envelope) -> tuple[str, bytes]:
        """(topic, signed answer) for one checked request; its database work is committed first."""
        request = CertificateRequest.model_validate(envelope.body)
        ca = self._authority()
        if ca is None:
            body = body_of(CertificateAnswer(request_id=request.request_id, status="refused",
                                             reason="no_ca: this hub worker has no CA in its data_dir/pki; "
                                                    "the request is asked again later"))
        else:
            with self.context.db.begin() as conn:
                body = renew(conn, ca, envelope.agent, request)
        if body["status"] == "issued":
            log.info("issued certificate %s to agent %s (renewal)", body["serial"], envelope.agent)
        answer = make(envelope.agent, 0, "certificate.answer", body, self.context.event_key)
        return topics.commands(envelope.agent), answer.encode()
