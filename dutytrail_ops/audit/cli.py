"""``dutytrail audit``: the group finds its commands in ``dutytrail_ops.audit.commands``, one
module each, so that adding a command touches no shared file."""

from __future__ import annotations

import importlib
import pkgutil

import click

from dutytrail_ops.audit import commands


class _Discovered(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            info.name.replace("_", "-")
            for info in pkgutil.iter_modules(commands.__path__)
            if not info.name.startswith("_")
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.list_commands(ctx):
            return None
        module = importlib.import_module(f"{commands.__name__}.{cmd_name.replace('-', '_')}")
        command = getattr(module, "command", None)
        return command if isinstance(command, click.Command) else None


audit = _Discovered(
    name="audit",
    help="For auditors: export, verify, prove, replay as of a date, one matter's trail. "
         "None needs the broker.",
)
