"""Writing an import: every table in one transaction with the derived rebuild, or nothing.

Rows are upserted by id: the rows with the incoming ids are deleted and the incoming rows
appended, through the engine's bulk path (Arrow on DuckDB, COPY on PostgreSQL). The ids to
delete go through a temporary table, not through SQL text. ``derived.refresh`` runs inside the
same transaction (as in ``Warehouse.replace``), so a reader never sees new deals with old
progress, and a failure anywhere rolls everything back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from salesscope.warehouse import derived
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.engines import Engine, transaction
from salesscope.warehouse.schema import quote_ident
from salesscope.warehouse.store import Warehouse

_KEYS = "_salesscope_import_keys"
IMPORT_SOURCE = "import"


@dataclass
class LoadPlan:
    """What one import writes."""

    upserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # table -> rows by id
    replace_history_of: list[int] = field(default_factory=list)  # deal ids
    account: dict[str, Any] | None = None  # inserted when the warehouse has none
    sync_state: dict[str, Any] | None = None  # the ("import", kind) bookkeeping row


def apply(wh: Warehouse, plan: LoadPlan) -> None:
    """Write the plan in one transaction, rebuilding the derived tables inside it."""
    engine = wh.engine
    wh.invalidate()
    with transaction(engine):
        engine.execute(f"CREATE TEMP TABLE {_KEYS} (id BIGINT)")
        if plan.replace_history_of:
            _delete_where(engine, "deal_stage_changes", "deal_id", plan.replace_history_of)
        for name, rows in plan.upserts.items():
            if rows:
                _delete_where(engine, name, "id", (int(r["id"]) for r in rows))
                engine.append(name, rows_to_arrow(name, rows))
        if plan.account is not None:
            engine.append("account", rows_to_arrow("account", [plan.account]))
        if plan.sync_state is not None:
            entity = str(plan.sync_state["entity"]).replace("'", "''")
            engine.execute(f"DELETE FROM sync_state WHERE source = '{IMPORT_SOURCE}' "
                           f"AND entity = '{entity}'")
            engine.append("sync_state", rows_to_arrow("sync_state", [plan.sync_state]))
        engine.execute(f"DROP TABLE {_KEYS}")
        derived.refresh(engine, wh.backend)
    wh.invalidate()


def _delete_where(engine: Engine, table: str, column: str, ids: Iterable[int]) -> None:
    """Delete the rows of ``table`` whose ``column`` is one of ``ids``."""
    engine.execute(f"DELETE FROM {_KEYS}")
    keys = pa.table({"id": pa.array(sorted(set(ids)), pa.int64())})
    engine.append(_KEYS, keys)
    engine.execute(f"DELETE FROM {table} WHERE {quote_ident(column)} IN (SELECT id FROM {_KEYS})")



def import_sync_row(entity: str, path: Path, rows: int) -> dict[str, Any]:
    """The bookkeeping row of an import: which file (by content hash) and how fresh its data is.

    The data of an export is as fresh as the file, so ``finished_at`` (what reports show as
    "data as of") is the file's modification time, not the moment of the import; re-importing
    the same file therefore writes the same row.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None, microsecond=0)
    return {"source": IMPORT_SOURCE, "entity": entity, "cursor": f"{path.name} sha256:{digest}",
            "started_at": written, "finished_at": written, "rows": rows}
