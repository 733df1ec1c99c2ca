"""Engines: the SQL databases a warehouse can live in, behind one small interface.

Loading and DDL stay out of Ibis (``../shared/STACK.md``: row-wise or Ibis-driven loading is 10-30x
slower); each engine loads Arrow tables its own fastest way. Reports only ever see the Ibis backend.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from salesscope.warehouse.schema import TABLES_BY_NAME, quote_ident

if TYPE_CHECKING:
    import psycopg


class Engine(Protocol):
    """What the warehouse needs from a database: run DDL, bulk-load Arrow, read through Ibis."""

    name: str

    def execute(self, sql: str) -> None:
        """Run one or more statements that return nothing."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a statement and fetch all rows (for small bookkeeping queries only)."""

    def append(self, table: str, data: pa.Table) -> None:
        """Append Arrow rows to a table, matching columns by name."""

    def upsert(self, table: str, data: pa.Table) -> None:
        """Insert Arrow rows, replacing the given columns of rows whose primary key exists.

        The rows must have unique keys (``Warehouse.upsert`` keeps the last row per key).
        """

    def ibis(self) -> BaseBackend:
        """A fresh Ibis backend for reading (one per thread: Ibis backends are not thread-safe)."""

    def close(self) -> None:
        """Release the connection."""


@contextmanager
def transaction(engine: Engine) -> Iterator[None]:
    """Everything inside commits together or not at all (DDL included, on both engines)."""
    engine.execute("BEGIN")
    try:
        yield
    except BaseException:
        engine.execute("ROLLBACK")
        raise
    engine.execute("COMMIT")


def _upsert_sql(table: str, columns: list[str], source: str) -> str:
    """``INSERT … ON CONFLICT (key) DO UPDATE``: the same statement on DuckDB and PostgreSQL."""
    key = TABLES_BY_NAME[table].primary_key
    cols = ", ".join(quote_ident(c) for c in columns)
    updates = ", ".join(f"{quote_ident(c)} = EXCLUDED.{quote_ident(c)}" for c in columns if c not in key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    keys = ", ".join(quote_ident(k) for k in key)
    return f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source} ON CONFLICT ({keys}) {action}"


class DuckDBEngine:
    """The embedded default: a DuckDB file (or ``:memory:``)."""

    name = "duckdb"

    def __init__(self, path: str, read_only: bool = False) -> None:
        self.path = path
        self.con = duckdb.connect(path, read_only=read_only)
        self.con.execute("SET TimeZone = 'UTC'")

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def append(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        # On the main connection, not a cursor: a DuckDB cursor is a connection of its own, and
        # the insert must share the transaction of the caller's DELETE.
        self.con.register("_salesscope_incoming", data)
        try:
            cols = ", ".join(quote_ident(c) for c in data.column_names)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _salesscope_incoming")
        finally:
            self.con.unregister("_salesscope_incoming")

    def upsert(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        self.con.register("_salesscope_upsert", data)
        try:
            self.con.execute(_upsert_sql(table, data.column_names, "_salesscope_upsert"))
        finally:
            self.con.unregister("_salesscope_upsert")

    def ibis(self) -> BaseBackend:
        return ibis.duckdb.from_connection(self.con.cursor())

    def reconnect(self) -> None:
        """Close and reopen the database (outside a transaction; cursors made before must be gone).

        DuckDB keeps per-statement state of upserts in ``malloc`` memory until the database closes
        (~5 KB per ``INSERT … ON CONFLICT``, 25 MB over a 50k-lead sync's pages): a long sync
        reconnects now and then to drop it. Settings are per database: the caller sets them again.
        """
        self.con.close()
        self.con = duckdb.connect(self.path)
        self.con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self.con.close()


def _pg_value(value: Any) -> Any:
    """Arrow's Python values as COPY takes them; a float NaN becomes NULL."""
    if isinstance(value, float) and value != value:
        return None
    return value


class PostgresEngine:
    """A PostgreSQL schema holding the warehouse, for users who outgrow one machine's file.

    Writes and DDL go through one main connection; every Ibis backend (one per thread, see
    ``Warehouse.backend``) gets a connection of its own, so the dashboard's requests run in
    parallel instead of queueing on one socket. Readers see committed data only: a load's
    transaction on the main connection stays invisible until it commits.
    """

    name = "postgres"

    def __init__(self, url: str, schema: str = "salesscope") -> None:
        self.url = url
        self.schema = schema
        self.con = self._connect(create_schema=True)
        self._readers: list[tuple[threading.Thread, psycopg.Connection[Any]]] = []
        self._readers_lock = threading.Lock()

    def _connect(self, create_schema: bool = False) -> psycopg.Connection[Any]:
        """A session on the warehouse's schema in UTC, named so ``pg_stat_activity`` shows whose."""
        import psycopg

        con = psycopg.connect(self.url, autocommit=True, application_name=f"salesscope {self.schema}"[:63])
        if create_schema:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema)}")  # type: ignore[arg-type]
        con.execute(f"SET search_path TO {quote_ident(self.schema)}")  # type: ignore[arg-type]
        con.execute("SET TimeZone TO 'UTC'")
        return con

    def execute(self, sql: str) -> None:
        self.con.execute(sql)  # type: ignore[arg-type]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.con.execute(sql).fetchall())  # type: ignore[arg-type]

    def append(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        cols = ", ".join(quote_ident(c) for c in data.column_names)
        with self.con.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for batch in data.to_batches(max_chunksize=50_000):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for row in zip(*columns, strict=True):
                    copy.write_row([_pg_value(v) for v in row])

    def upsert(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        # COPY into a session-private twin of the table, then one INSERT … ON CONFLICT from it.
        staging = f"_salesscope_upsert_{table}"
        self.con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table})")  # type: ignore[arg-type]
        self.con.execute(f"TRUNCATE {staging}")  # type: ignore[arg-type]
        self.append(staging, data)
        self.con.execute(_upsert_sql(table, data.column_names, staging))  # type: ignore[arg-type]

    def ibis(self) -> BaseBackend:
        """A backend on a new connection for the calling thread; those of finished threads close."""
        con = self._connect()
        me = threading.current_thread()
        with self._readers_lock:
            finished = [c for t, c in self._readers if not t.is_alive()]
            self._readers = [(t, c) for t, c in self._readers if t.is_alive()] + [(me, con)]
        for old in finished:
            old.close()
        return ibis.postgres.from_connection(con)

    def close(self) -> None:
        """Close every reader's connection and the main one (a running query there fails)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for _, con in readers:
            con.close()
        self.con.close()
