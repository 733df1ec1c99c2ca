"""Parquet backups of the canonical tables: the way a warehouse crosses DuckDB versions.

A DuckDB file cannot be read by an older DuckDB (``../shared/STACK.md``), and a newer one may
refuse an old file; Parquet can be read by every version and every engine. A backup is one
``TABLE.parquet`` per canonical table plus ``manifest.json`` (schema version, who wrote it, row
counts). Restoring replaces every table in one transaction: a bad backup changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from salesscope import __version__
from salesscope.warehouse import migrations
from salesscope.warehouse.arrow import arrow_schema
from salesscope.warehouse.schema import TABLES
from salesscope.warehouse.store import Warehouse, WarehouseError

MANIFEST = "manifest.json"


def backup(wh: Warehouse, folder: Path) -> dict[str, int]:
    """Write every canonical table to ``folder``; return the row count per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in TABLES:
        data = wh.table(table.name).to_pyarrow().cast(arrow_schema(table.name))
        pq.write_table(data, folder / f"{table.name}.parquet")
        counts[table.name] = data.num_rows
    manifest = {
        "format": "salesscope-backup",
        "schema_version": migrations.current_version(wh.engine),
        "written_by": f"salesscope {__version__}",
        "tables": counts,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return counts


def restore(wh: Warehouse, folder: Path) -> dict[str, int]:
    """Replace the warehouse's content with a backup; nothing changes when any file is bad."""
    manifest = _manifest(folder)
    data: dict[str, pa.Table] = {}
    for table in TABLES:
        path = folder / f"{table.name}.parquet"
        if not path.exists():
            if table.name in manifest["tables"]:
                raise WarehouseError(f"{path}: missing, though {MANIFEST} lists it")
            continue  # a table newer than the backup starts empty
        data[table.name] = _read(path, table.name)
        expected = manifest["tables"].get(table.name)
        if expected is not None and expected != data[table.name].num_rows:
            raise WarehouseError(
                f"{path}: {data[table.name].num_rows} rows, but {MANIFEST} says {expected}"
            )
    wh.replace(data)
    return {name: t.num_rows for name, t in data.items()}


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WarehouseError(f"{path}: not found; is {folder} a salesscope backup?") from None
    except json.JSONDecodeError as exc:
        raise WarehouseError(f"{path}: not valid JSON ({exc})") from None
    if manifest.get("format") != "salesscope-backup" or not isinstance(manifest.get("tables"), dict):
        raise WarehouseError(f"{path}: not a salesscope backup manifest")
    if int(manifest.get("schema_version", 0)) > migrations.latest_version():
        raise WarehouseError(
            f"{path}: written at schema version {manifest['schema_version']}, newer than this "
            f"salesscope knows ({migrations.latest_version()}); upgrade salesscope first"
        )
    return dict(manifest)


def _read(path: Path, name: str) -> pa.Table:
    """One table file, checked against the declaration: unknown columns name themselves."""
    try:
        data = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise WarehouseError(f"{path}: not a readable Parquet file ({exc})") from None
    schema = arrow_schema(name)
    unknown = [c for c in data.column_names if c not in schema.names]
    if unknown:
        raise WarehouseError(f"{path}: column(s) {', '.join(unknown)} are not in table {name}")
    present = [f for f in schema if f.name in data.column_names]
    try:
        return data.select([f.name for f in present]).cast(pa.schema(present))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise WarehouseError(f"{path}: columns do not fit table {name} ({exc})") from None
