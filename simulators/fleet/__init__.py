"""A fleet of simulated agents: many enrolled identities sending signed payments to a hub.

Each simulated agent has its own client certificate, its own Ed25519 signing key, its
own per-agent sequence and a simulated card terminal that approves payments; it speaks
the real wire contract (protocol.wire) over TLS to the real broker and counts an event
done only on the hub's application ack.  All agents share one process and one thread
driven by a selector, so 500 of them fit on a 2-core machine.
"""
