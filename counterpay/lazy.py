"""A click group whose subcommands are imported only when they are used.

Each part of counterpay (agent, hub, simulators, protocol tools) owns its command
module; the root only names where each command lives.  Loading lazily keeps
`counterpay --help` fast; a part that fails to import fails loudly when its command is used.
"""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """A group mounting commands given as ``{"name": "module.path:attribute"}``.

    A value may also be ``("module.path:attribute", "one-line summary")`` so that
    `--help` can list the command without importing it.
    """

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands with their summaries without importing them (keeps --help fast)."""
        rows = []
        for name in self.list_commands(ctx):
            target = self.lazy_commands.get(name)
            if isinstance(target, tuple):
                rows.append((name, target[1]))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands:
            return self._load(name)
        return super().get_command(ctx, name)

    def _load(self, name: str) -> click.Command:
        target = self.lazy_commands[name]
        if isinstance(target, tuple):
            target = target[0]
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

