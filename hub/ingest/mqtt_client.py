"""The ingest's paho client, with paho's in-flight bookkeeping made O(1) when nothing waits.

paho 2.x walks every unacknowledged outgoing message on each PUBACK it receives
(`Client._update_inflight`), looking for queued ones to send now that a slot is free.
The ingest keeps about one acks message per agent in flight at a time (a hundred
agents: a hundred messages), so each PUBACK cost a walk of a hundred, about a tenth
of the ingest process's Python time.  A message is queued only when the in-flight
limit was reached, so when every stored message is in flight there is nothing to
send and the walk is skipped; otherwise paho's own walk runs, unchanged.
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode


class IngestClient(mqtt.Client):
    def _update_inflight(self) -> MQTTErrorCode:
        # Called by paho with its out-message lock held; QoS 0 messages are never stored,
        # and a message waiting for a connection is stored but not counted in flight.
        if len(self._out_messages) <= self._inflight_messages:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._update_inflight()
