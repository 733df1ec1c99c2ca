"""Small reads of stored rows during a sync, straight through the engine.

A sync reads back a few rows per page (the deals a deletion marks, the tasks an event is about,
its own checkpoints). Reading them as plain SQL rather than through Ibis keeps the sync process
lean: Ibis' Arrow conversion imports pandas (~40 MB of a process that must stay under 300 MB).
Only integers and constants of this package are ever spliced into these statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from salesscope.warehouse.schema import TABLES_BY_NAME, quote_ident
from salesscope.warehouse.store import Warehouse


def rows_where(wh: Warehouse, table: str, where: str = "TRUE") -> list[dict[str, Any]]:
    """Every declared column of the rows of ``table`` matching ``where`` (built by this package)."""
    columns = TABLES_BY_NAME[table].column_names
    listed = ", ".join(quote_ident(c) for c in columns)
    return [dict(zip(columns, r, strict=True)) for r in wh.engine.query(f"SELECT {listed} FROM {table} WHERE {where}")]


def rows_with_ids(wh: Warehouse, table: str, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The stored rows of ``table`` whose ``id`` is one of ``ids``."""
    listed = ", ".join(str(int(i)) for i in sorted(set(ids)))
    return rows_where(wh, table, f'"id" IN ({listed})') if listed else []


def count(wh: Warehouse, table: str) -> int:
    return int(wh.engine.query(f"SELECT count(*) FROM {table}")[0][0])
