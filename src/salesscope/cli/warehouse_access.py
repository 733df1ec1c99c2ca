"""How CLI commands open the warehouse: read-only for reports, read-write for builds.

Reports open the file read-only so that several report commands can run at once. A warehouse at an
older schema version, or with derived tables of an older salesscope, is first upgraded by one short
read-write open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from salesscope import paths
from salesscope.warehouse.store import Warehouse, WarehouseError


@contextmanager
def open_for_writing(db: Path | None) -> Iterator[Warehouse]:
    wh = Warehouse.open(paths.warehouse_path(db))
    try:
        yield wh
    finally:
        wh.close()


@contextmanager
def open_for_reading(db: Path | None) -> Iterator[Warehouse]:
    path = paths.warehouse_path(db)
    if not path.exists():
        raise WarehouseError(
            f"no warehouse at {path}: build the demo with `salesscope demo --no-serve` "
            "or give --db PATH"
        )
    try:
        wh = Warehouse.open(path, read_only=True)
    except WarehouseError as exc:
        if "open it read-write once" not in str(exc):
            raise
        Warehouse.open(path).close()  # upgrades it: migrations, derived tables
        wh = Warehouse.open(path, read_only=True)
    try:
        yield wh
    finally:
        wh.close()


