"""The command line: a thin face. Each command parses, calls the core, prints.

Commands live in one module per topic and register themselves on ``main`` when imported
at the bottom of this file. Domain errors become a one-line message and exit code 2.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from sandbox import __version__
from sandbox.errors import SandboxError

CONTEXT = {"help_option_names": ["-h", "--help"]}
SHORT_HELP_LIMIT = 1000  # a first sentence is never cut short


class SandboxGroup(click.Group):
    """Turns domain errors into a clean message and exit code 2, never a traceback; lists
    each command with its whole first sentence (wrapped, never cut with "...")."""

    group_class = type  # subgroups (skan-key) are SandboxGroups too

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=SHORT_HELP_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SandboxError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)
        except OSError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=SandboxGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="postback-sandbox")
def main() -> None:
    """postback-sandbox: a local fake MMP and fake ad network for postback integrations."""


def _register() -> None:
    # Imported for their side effect of adding commands to ``main``.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_register()
