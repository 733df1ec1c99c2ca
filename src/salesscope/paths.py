"""Where salesscope keeps its files: the warehouse, settings and secrets.

Precedence for the warehouse: ``--db PATH`` on the command line, else ``SALESSCOPE_DB``, else
``$SALESSCOPE_HOME/salesscope.duckdb``; ``SALESSCOPE_HOME`` defaults to the platform's user data
directory (``~/.local/share/salesscope`` on Linux). Either setting may instead be a PostgreSQL URL
(``postgresql://user@host/db?schema=salesscope``) for a warehouse on a server.
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


def warehouse_target(cli_value: str | Path | None = None) -> str:
    """The warehouse a command should use: a DuckDB file path or a PostgreSQL URL."""
    chosen = str(cli_value) if cli_value else os.environ.get("SALESSCOPE_DB")
    if not chosen:
        return str(home() / DB_FILENAME)
    if is_postgres_url(chosen):
        return chosen
    return str(Path(chosen).expanduser())


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))
