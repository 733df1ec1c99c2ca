"""The warehouse: canonical tables in one engine, opened, migrated, loaded and read.

Reports receive a ``Warehouse`` and read it only through ``table()`` and the small lookups below;
connectors and the demo write it only through ``replace()``/``append()`` followed by
``refresh_derived()``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from salesscope import __version__
from salesscope.warehouse import derived, derived_activity, migrations
from salesscope.warehouse.after_statement import AfterEachStatement
from salesscope.warehouse.engines import DuckDBEngine, Engine, PostgresEngine, transaction
from salesscope.warehouse.schema import TABLES, TABLES_BY_NAME, table


@dataclass(frozen=True)
class Account:
    """The mirrored CRM account: what every report needs to label and bucket its numbers."""

    name: str
    currency: str
    timezone: str
    crm: str
    base_url: str | None


@dataclass(frozen=True)
class Catalog:
    """The small tables every report consults (who, which pipeline, which stage, how fresh).

    Read once and kept until this process writes the warehouse: a report then spends its time on
    the one scan that matters, not on five lookups of a few rows each.
    """

    account: Account | None
    teams: list[dict[str, Any]]
    users: list[dict[str, Any]]
    pipelines: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    data_as_of: dt.datetime | None


class WarehouseError(RuntimeError):
    """A warehouse that cannot be opened or used as asked; the message says what to do."""


class Warehouse:
    """Canonical tables in one engine (DuckDB file by default, PostgreSQL schema optionally)."""

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location
        self._local = threading.local()
        self._catalog: Catalog | None = None
        self._generation = 0

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
            if not self._derived_current():
                raise WarehouseError(
                    f"warehouse {self.location} has derived tables of an older salesscope "
                    "(schema version is current); open it read-write once to rebuild them"
                )
            return
        engine_version = f" {duckdb.__version__}" if self.engine.name == "duckdb" else ""
        migrations.migrate(
            self.engine, written_by=f"salesscope {__version__}, {self.engine.name}{engine_version}"
        )
        if not self._derived_current():
            self.refresh_derived()

    def _derived_current(self) -> bool:
        """Whether the derived tables exist with the columns this version builds."""
        return derived.current(self.engine) and derived_activity.current(self.engine)

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

    def reconnect(self) -> None:
        """Reopen a DuckDB warehouse's connection (see ``DuckDBEngine.reconnect``); this thread's
        Ibis backend goes with the old one. Other threads must not be using the warehouse."""
        if isinstance(self.engine, DuckDBEngine):
            self._local = threading.local()
            self.invalidate()
            self.engine.reconnect()

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

    def thread_cache(self) -> dict[str, Any]:
        """A dict that lives with this thread's Ibis backend and goes with the thread.

        For caches whose entries belong to that backend (table expressions, compiled SQL): kept
        anywhere else, they would keep a finished thread's backend and connection alive.
        """
        backend = self.backend
        cache: dict[str, Any] | None = getattr(self._local, "cache", None)
        if cache is None or cache.get("backend") is not backend:
            cache = self._local.cache = {"backend": backend}
        return cache

    def table(self, name: str) -> ir.Table:
        """A canonical or derived table as an Ibis expression.

        Kept per thread until this process writes the warehouse: Ibis reads a table's schema from
        the engine on every ``backend.table`` (~3 ms on DuckDB), several times per report.
        """
        tables: dict[str, ir.Table] | None = getattr(self._local, "tables", None)
        if tables is None or getattr(self._local, "generation", None) != self._generation:
            tables = self._local.tables = {}
            self._local.generation = self._generation
        found = tables.get(name)
        if found is None:
            found = tables[name] = self.backend.table(name)
        return found

    def rows(self, name: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """All rows of a small table (users, teams, pipelines, stages) as dicts."""
        t = self.table(name)
        if columns:
            t = t.select(*columns)
        rows: list[dict[str, Any]] = t.to_pyarrow().to_pylist()
        return rows

    def catalog(self) -> Catalog:
        """The small lookup tables, read once until the next write through this warehouse."""
        if self._catalog is None:
            accounts = self.rows("account")
            a = accounts[0] if accounts else None
            as_of = self.table("sync_state").finished_at.max().to_pyarrow().as_py()
            self._catalog = Catalog(
                Account(a["name"], a["currency"], a["timezone"], a["crm"], a["base_url"])
                if a else None,
                self.rows("teams"),
                self.rows("users"),
                self.rows("pipelines"),
                self.rows("stages"),
                as_of if isinstance(as_of, dt.datetime) else None,
            )
        return self._catalog

    def invalidate(self) -> None:
        """Forget cached lookups and table schemas; every write path calls this."""
        self._catalog = None
        self._generation += 1

    def account(self) -> Account | None:
        return self.catalog().account

    def data_as_of(self) -> dt.datetime | None:
        """When the data was last known complete: the newest finished sync, import or build."""
        return self.catalog().data_as_of

    def counts(self) -> dict[str, int]:
        """Row count of every canonical table."""
        return {t.name: int(self.table(t.name).count().to_pyarrow().as_py()) for t in TABLES}

    # -- writing -------------------------------------------------------------------------------

    def replace(self, data: Mapping[str, pa.Table]) -> None:
        """Replace the whole content of the given tables in one transaction, then refresh."""
        for name in data:
            table(name)  # unknown names fail before anything changes
        self.invalidate()
        with transaction(self.engine):
            for name, rows in data.items():
                self.engine.execute(f"DELETE FROM {name}")
                self.engine.append(name, _conform(name, rows))
            derived.refresh(self.engine, self.backend)
        self.invalidate()  # derived tables were recreated: no reader keeps their old schema

    def upsert(self, data: Mapping[str, pa.Table]) -> None:
        """Insert or update rows by primary key, all tables in one transaction; no refresh.

        For incremental loads (a connector's page plus its checkpoint): a row seen twice, in one
        batch or across loads, ends as its last version. Call ``refresh_derived`` after the load.
        """
        for name in data:
            table(name)  # unknown names fail before anything changes
        self.invalidate()
        with transaction(self.engine):
            for name, rows in data.items():
                self.engine.upsert(name, _last_per_key(name, _conform(name, rows)))

    def refresh_derived(self, after_statement: Callable[[], None] | None = None) -> None:
        """Rebuild the derived tables (after a load that did not go through ``replace``).

        ``after_statement`` runs after each statement of the rebuild (a lean sync returns freed
        memory there: ``AfterEachStatement``)."""
        self.invalidate()
        engine = self.engine if after_statement is None else AfterEachStatement(self.engine, after_statement)
        with transaction(self.engine):
            derived.refresh(engine, self.backend)
        self.invalidate()  # derived tables were recreated: no reader keeps their old schema


def _last_per_key(name: str, rows: pa.Table) -> pa.Table:
    """Keep the last row of each primary key (an upsert may not touch one row twice)."""
    key = TABLES_BY_NAME[name].primary_key
    if rows.num_rows < 2:
        return rows
    numbered = rows.append_column("_row", pa.array(range(rows.num_rows), pa.int64()))
    last = numbered.group_by(list(key), use_threads=False).aggregate([("_row", "max")])
    if last.num_rows == rows.num_rows:
        return rows
    return rows.take(last["_row_max"])


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
