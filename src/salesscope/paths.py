"""Where salesscope keeps its files: the warehouse, settings and secrets.

Precedence for the warehouse: ``--db PATH`` on the command line, else ``SALESSCOPE_DB``, else
``$SALESSCOPE_HOME/salesscope.duckdb``; ``SALESSCOPE_HOME`` defaults to the platform's user data
directory (``~/.local/share/salesscope`` on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_FILENAME = "salesscope.duckdb"


def home() -> Path:
    """The folder holding salesscope's own files."""
    configured = os.environ.get("SALESSCOPE_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("salesscope", appauthor=False))


def warehouse_path(cli_value: str | Path | None = None) -> Path:
    """The warehouse file a command should use."""
    if cli_value:
        return Path(cli_value).expanduser()
    configured = os.environ.get("SALESSCOPE_DB")
    if configured:
        return Path(configured).expanduser()
    return home() / DB_FILENAME
