"""Commands the back office sends an agent on `…/A/cmd`, signed with the hub's event key.

`ask_diagnostics` asks a desk for its diagnostics report; the desk answers with a
`diagnostics.report` event, which the ingest stores like any other event and the agent's
page shows (hub.ingest.fleet.last_diagnostics).  The request is audited under the
asker's name whether or not the broker could be reached: the audit says who asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from protocol.wire import make, new_message_id, topics
from hub.audit.log import record
from hub.context import HubContext


@dataclass(frozen=True)
class Asked:
    request_id: str
    sent: bool          # False: this hub process has no broker connection (e.g. `serve --no-ingest`)


def ask_diagnostics(conn: Connection, hub: HubContext, agent_id: str, actor: str) -> Asked:
    """Publish a diagnostics command to `agent_id` and audit it in the caller's transaction."""
    request_id = new_message_id()
    command = make(agent_id, 0, "command", {"request_id": request_id, "command": "diagnostics"}, hub.event_key)
    sent = hub.publish(topics.commands(agent_id), command.encode())
    record(conn, actor, "agent.diagnostics", f"agent:{agent_id}", {"request_id": request_id, "sent": sent})
    return Asked(request_id, sent)
