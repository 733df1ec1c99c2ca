"""The warehouse: canonical tables in one engine, opened, migrated, loaded and read.

Reports receive a ``Warehouse`` and read it only through ``table()`` and the small lookups below;
connectors and the demo write it only through ``replace()``/``append()`` followed by
``refresh_derived()``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from salesscope import __version__
from salesscope.warehouse import derived, migrations
from salesscope.warehouse.engines import DuckDBEngine, Engine, PostgresEngine
from salesscope.warehouse.schema import TABLES, TABLES_BY_NAME, table


@dataclass(frozen=True)
class Account:
    """The mirrored CRM account: what every report needs to label and bucket its numbers."""

    name: str
    currency: str
    timezone: str
    crm: str
    base_url: str | None


class WarehouseError(RuntimeError):
    """A warehouse that cannot be opened or used as asked; the message says what to do."""


class Warehouse:
    """Canonical tables in one engine (DuckDB file by default, PostgreSQL schema optionally)."""

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location
        self._local = threading.local()

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> Warehouse:
        """Open (creating and migrating if needed) the DuckDB warehouse at ``path``."""
        path = Path(path)
        if read_only and not path.exists():
            raise WarehouseError(f"no warehouse at {path}: build one with `salesscope demo` or sync")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = DuckDBEngine(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
        except duckdb.SerializationException as exc:
            raise WarehouseError(
                f"warehouse {path} was written by another DuckDB version than {duckdb.__version__}: "
                f"{exc}"
            ) from exc
        wh = cls(engine, str(path))
        wh._prepare(read_only)
        return wh

    @classmethod
    def postgres(cls, url: str, schema: str = "salesscope") -> Warehouse:
        """Open (creating and migrating if needed) a warehouse in a PostgreSQL schema."""
        engine = PostgresEngine(url, schema)
        wh = cls(engine, f"postgresql schema {schema}")
        wh._prepare(read_only=False)
        return wh

    def _prepare(self, read_only: bool) -> None:
        if read_only:
            have = migrations.current_version(self.engine) if self._has_migrations() else 0
            if have != migrations.latest_version():
                raise WarehouseError(
                    f"warehouse {self.location} is at schema version {have}; open it read-write "
                    "once to upgrade it"
                )
            return
        engine_version = f" {duckdb.__version__}" if self.engine.name == "duckdb" else ""
        migrations.migrate(
            self.engine, written_by=f"salesscope {__version__}, {self.engine.name}{engine_version}"
        )
        if not self._has_table(derived.DEAL_PROGRESS):
            self.refresh_derived()

    def _has_migrations(self) -> bool:
        return self._has_table(migrations.MIGRATIONS_TABLE)

    def _has_table(self, name: str) -> bool:
        rows = self.engine.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = "
            f"'{name}' AND table_schema = current_schema()"
        )
        return bool(rows[0][0])

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------

    @property
    def backend(self) -> BaseBackend:
        """This thread's Ibis backend (Ibis backends must not be shared between threads)."""
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = self.engine.ibis()
            self._local.backend = backend
        return backend

    def table(self, name: str) -> ir.Table:
        """A canonical or derived table as an Ibis expression."""
        return self.backend.table(name)

    def rows(self, name: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """All rows of a small table (users, teams, pipelines, stages) as dicts."""
        t = self.table(name)
        if columns:
            t = t.select(*columns)
        rows: list[dict[str, Any]] = t.to_pyarrow().to_pylist()
        return rows

    def account(self) -> Account | None:
        rows = self.rows("account")
        if not rows:
            return None
        r = rows[0]
        return Account(r["name"], r["currency"], r["timezone"], r["crm"], r["base_url"])

    def data_as_of(self) -> dt.datetime | None:
        """When the data was last known complete: the newest finished sync, import or build."""
        t = self.table("sync_state")
        value = t.finished_at.max().to_pyarrow().as_py()
        return value if isinstance(value, dt.datetime) else None

    def counts(self) -> dict[str, int]:
        """Row count of every canonical table."""
        return {t.name: int(self.table(t.name).count().to_pyarrow().as_py()) for t in TABLES}

    # -- writing -------------------------------------------------------------------------------

    def replace(self, data: Mapping[str, pa.Table]) -> None:
        """Replace the whole content of the given tables in one transaction, then refresh."""
        for name in data:
            table(name)  # unknown names fail before anything changes
        self.engine.execute("BEGIN")
        try:
            for name, rows in data.items():
                self.engine.execute(f"DELETE FROM {name}")
                self.engine.append(name, _conform(name, rows))
            self.engine.execute("COMMIT")
        except Exception:
            self.engine.execute("ROLLBACK")
            raise
        self.refresh_derived()

    def refresh_derived(self) -> None:
        """Rebuild the derived tables after any load."""
        derived.refresh(self.backend)


def _conform(name: str, rows: pa.Table) -> pa.Table:
    """Check an incoming Arrow table against the declaration: no unknown or missing columns."""
    declared = TABLES_BY_NAME[name]
    unknown = set(rows.column_names) - set(declared.column_names)
    if unknown:
        raise WarehouseError(f"table {name} has no column(s) {', '.join(sorted(unknown))}")
    missing = [
        c.name for c in declared.columns if not c.nullable and c.name not in rows.column_names
    ]
    if missing:
        raise WarehouseError(f"rows for {name} lack required column(s) {', '.join(missing)}")
    return rows
