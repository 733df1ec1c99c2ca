"""Registers the commands around the sales reports on the main CLI: deals, goals, settings.

One call from ``cli/app.py`` keeps the shared application file to a single registration line.
"""

from __future__ import annotations

import typer

from salesscope.cli import goals_commands, settings_commands
from salesscope.cli.deals_command import deals


def register(app: typer.Typer) -> None:
    """Add ``salesscope deals``, ``salesscope goals …`` and ``salesscope settings …``."""
    app.command("deals")(deals)
    app.add_typer(goals_commands.app, name="goals")
    app.add_typer(settings_commands.app, name="settings")
