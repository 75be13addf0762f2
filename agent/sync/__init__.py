"""Sync with the hub over MQTT v5: the outbox drained in order, acks, commands, broadcasts."""

from agent.sync.backoff import Backoff
from agent.sync.client import BrokerAddress, SyncClient, TlsFiles, parse_broker

__all__ = ["Backoff", "BrokerAddress", "SyncClient", "TlsFiles", "parse_broker"]
