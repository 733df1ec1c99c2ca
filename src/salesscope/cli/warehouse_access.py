"""How CLI commands open the warehouse: read-only for reports, read-write for builds.

Reports open the file read-only so that several report commands can run at once. A warehouse at an
older schema version, or with derived tables of an older salesscope, is first upgraded by one short
read-write open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from salesscope import paths
from salesscope.warehouse.store import Warehouse, WarehouseError


def _open(target: str, read_only: bool) -> Warehouse:
    if paths.is_postgres_url(target):
        url, schema = split_schema(target)
        return Warehouse.postgres(url, schema)
    return Warehouse.open(target, read_only=read_only)


def split_schema(url: str) -> tuple[str, str]:
    """``postgresql://…?schema=name`` → the URL psycopg accepts and the schema (default salesscope)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), "salesscope")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


@contextmanager
def open_for_writing(db: str | None) -> Iterator[Warehouse]:
    wh = _open(paths.warehouse_target(db), read_only=False)
    try:
        yield wh
    finally:
        wh.close()


@contextmanager
def open_for_reading(db: str | None) -> Iterator[Warehouse]:
    target = paths.warehouse_target(db)
    if not paths.is_postgres_url(target) and not Path(target).exists():
        raise WarehouseError(
            f"no warehouse at {target}: build the demo with `salesscope demo --no-serve` "
            "or give --db PATH"
        )
    try:
        wh = _open(target, read_only=True)
    except WarehouseError as exc:
        if "open it read-write once" not in str(exc):
            raise
        _open(target, read_only=False).close()  # upgrades it: migrations, derived tables
        wh = _open(target, read_only=True)
    try:
        yield wh
    finally:
        wh.close()
