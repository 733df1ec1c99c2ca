"""What every derived table builder shares: the check that a warehouse's derived tables are the
ones this version builds, and PostgreSQL's stand-in for DuckDB's zone maps.

A derived table whose columns differ from its declaration (an older salesscope built it) is
rebuilt when the warehouse opens; comparing the ordered column names is enough, since a change
of meaning comes with a change of name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from salesscope.warehouse.engines import Engine


def have_columns(engine: Engine, tables: Mapping[str, Mapping[str, str]]) -> bool:
    """Whether each table exists with exactly its declared columns, in order."""
    for name, columns in tables.items():
        rows = engine.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            f"'{name}' AND table_schema = current_schema() ORDER BY ordinal_position"
        )
        if [r[0] for r in rows] != list(columns):
            return False
    return True


def index_days(engine: Engine, tables: Iterable[str]) -> None:
    """On PostgreSQL, a BRIN index on ``day`` of each table: PostgreSQL has no zone maps, and a
    BRIN index on the stored (day) order plays their part. Nothing to do on DuckDB."""
    if engine.name == "postgres":
        for name in tables:
            engine.execute(f"CREATE INDEX {name}_day ON {name} USING brin (day)")
