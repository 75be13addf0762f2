"""The `counterpay` command: a thin root that mounts each part's own commands.

This is the one package allowed to import several parts (protocol, agent, hub,
simulators); it does so lazily, so `counterpay qr parse` never loads the hub.
"""

__version__ = "0.1.0"
