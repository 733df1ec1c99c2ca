"""Versioned migrations: opening an older warehouse upgrades it, in order, one transaction each.

Migrations are SQL files ``NNNN_name.sql`` beside this module. A released file is frozen; a change
to the canonical tables is a new file. ``schema_migrations`` records what was applied, when, and by
which engine version (DuckDB files cannot be read by an older DuckDB, so we say who wrote them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from salesscope.warehouse.engines import Engine, transaction

MIGRATIONS_TABLE = "schema_migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One step of the warehouse's history."""

    version: int
    name: str
    sql: str


class WarehouseVersionError(RuntimeError):
    """The warehouse was written by a newer salesscope than this one."""


def all_migrations() -> list[Migration]:
    """Every migration shipped with this package, oldest first."""
    folder = resources.files("salesscope.warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def latest_version() -> int:
    return all_migrations()[-1].version


def current_version(engine: Engine) -> int:
    """The version a warehouse is at (its ``schema_migrations`` table must exist)."""
    rows = engine.query(f"SELECT max(version) FROM {MIGRATIONS_TABLE}")
    return int(rows[0][0] or 0)


def migrate(engine: Engine, target: int | None = None, written_by: str = "") -> list[int]:
    """Apply every migration above the warehouse's version (up to ``target``); return those applied."""
    engine.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL, written_by VARCHAR NOT NULL)"
    )
    have = current_version(engine)
    newest = latest_version()
    if have > newest:
        raise WarehouseVersionError(
            f"this warehouse is at schema version {have}, newer than this salesscope knows "
            f"({newest}); upgrade salesscope to open it"
        )
    applied = []
    for step in all_migrations():
        if step.version <= have or (target is not None and step.version > target):
            continue
        with transaction(engine):
            engine.execute(step.sql)
            by = written_by.replace("'", "''")
            engine.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} VALUES "
                f"({step.version}, '{step.name}', CURRENT_TIMESTAMP, '{by}')"
            )
        applied.append(step.version)
    return applied
