"""Offline for a while: payments are taken, the broker comes back, all arrive once, in order."""

from __future__ import annotations

import time

from agent.config import load
from agent.payments import PaymentRequest
from agent.service import AgentService
from agent.sync import Backoff

from tests.agent.conftest import write_config
from tests.support.waiting import wait_until


def test_broker_down_payments_taken_then_all_delivered_once_in_order(tmp_path, keys, mosquitto, peer, zvt_sim):
    # Rows published before the peer has resubscribed after the broker restart reach no
    # one and get no ack: the agent re-sends them after ack_timeout_s (2 s here).
    config = load(write_config(tmp_path, keys, broker=mosquitto.url, device=zvt_sim.device, ack_timeout_s=2))
    service = AgentService.open(config, backoff=Backoff(0.05, 0.5))
    try:
        wait_until(lambda: service.status().online, 10, "the agent online")
        mosquitto.stop()
        wait_until(lambda: not service.status().online, 10, "the agent offline")
        taken = []
        for n in range(12):
            request = PaymentRequest(100 + n, "EUR", "card" if n % 3 == 0 else "cash",
                                     {"format": "rf", "value": "RF18539007547034"})
            outcome = service.pay(request)
            assert outcome.outcome == "approved", outcome.message
            taken.append(outcome.payment_id)
        time.sleep(1.5)                                    # several failed reconnects
        status = service.status()
        assert not status.online and status.outbox_depth == 12 and status.oldest_age_s >= 1
        mosquitto.start()
        wait_until(lambda: service.status().outbox_depth == 0, 20, "an empty outbox")
        assert peer.payments() == taken                    # in the order they were taken
        seqs = list(dict.fromkeys(seq for _, _, seq, _ in peer.received))
        assert seqs == sorted(seqs) and len(seqs) == 12    # first arrivals in sequence order
        ids = {}
        for _, message_id, _, body in peer.received:
            ids.setdefault(body["payment_id"], set()).add(message_id)
        assert all(len(found) == 1 for found in ids.values())   # one message id per payment
        assert len(zvt_sim.charges()) == 4
    finally:
        service.close()
