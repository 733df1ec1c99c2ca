"""What the activity reports keep between runs, and why it cannot go stale.

A report at 10M actions scans a month in 1-4 ms; against that, Ibis asking the database for a
table's schema (1.7 ms) or a report re-reading slowly changing facts (each person's first and
last working day, the proposal stages, the lunch hours: 1-4 ms each) would double its time. So:

- table expressions are kept per Ibis backend: a derived table's columns are fixed for a version
  of salesscope, and a rebuild recreates them alike;
- values derived from the loaded data or the settings are kept with the warehouse's ``Catalog``
  and dropped with it — ``Warehouse.invalidate()`` runs on every write through the warehouse (a
  load, a sync, ``settings.set_value``), exactly as for the users and stages the catalog holds;
- on DuckDB, the SQL an Ibis query compiles to (``compiled_arrow``, used by the summary, goals,
  metrics and calls reports too): compiling a six-part query costs Ibis 20-25 ms against a 5 ms
  scan, and the SQL depends only on the filters and the tables' columns, never on the data. So it
  is kept across writes (the first view after a sync runs no compiler) and shared by every thread
  (SQL text belongs to no connection: a request thread runs what the background refresh compiled).
  It is kept with the ``Warehouse`` object and goes with it: a table's columns change only by a
  migration, which runs when a warehouse is opened — a rebuild of the derived tables after a load
  recreates them with the same columns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import duckdb
import ibis.expr.types as ir
import pyarrow as pa

from salesscope.reports.filters import Scope
from salesscope.warehouse.store import Warehouse

T = TypeVar("T")

def _kept(wh: Warehouse) -> dict[str, Any]:
    """This thread's cache (a table expression belongs to the backend that read it)."""
    return wh.thread_cache()


def activity_table(wh: Warehouse, name: str) -> ir.Table:
    """A derived activity table as an Ibis expression, read once per backend."""
    kept = _kept(wh)
    key = f"table:{name}"
    if key not in kept:
        kept[key] = wh.table(name)
    table: ir.Table = kept[key]
    return table


def per_catalog(wh: Warehouse, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept until the warehouse's catalog is next read afresh (after a write)."""
    kept = _kept(wh)
    catalog = wh.catalog()
    if kept.get("catalog") is not catalog:
        for old in [k for k in kept if k.startswith("value:")]:
            del kept[old]
        kept["catalog"] = catalog
    if f"value:{key}" not in kept:
        kept[f"value:{key}"] = compute()
    value: T = kept[f"value:{key}"]
    return value


_MAX_COMPILED = 512
"""Compiled queries kept per warehouse; beyond this the oldest half is dropped."""


def scope_key(scope: Scope) -> tuple[Hashable, ...]:
    """Everything of a scope that a query's SQL can depend on (names and people do not)."""
    return (scope.start_utc, scope.end_utc, scope.pipeline_ids, scope.owner_ids,
            scope.team_owner_ids, scope.sources, scope.tags)


_COMPILED: WeakKeyDictionary[Warehouse, dict[Hashable, tuple[str, Any]]] = WeakKeyDictionary()
_COMPILED_LOCK = threading.Lock()


def _compiled(wh: Warehouse) -> dict[Hashable, tuple[str, Any]]:
    """The compiled queries of one open warehouse, shared by its threads, across its writes."""
    with _COMPILED_LOCK:
        kept = _COMPILED.get(wh)
        if kept is None:
            kept = _COMPILED[wh] = {}
        return kept


def compiled_arrow(wh: Warehouse, key: Hashable, build: Callable[[], ir.Table]) -> pa.Table:
    """The result of the query ``build()`` returns, compiled once per ``key`` and warehouse.

    ``key`` must name everything the query depends on besides the data (the report part and its
    ``scope_key``, a moment, an option). On DuckDB the cached SQL runs directly on this thread's
    connection and its result is typed exactly as Ibis types it; other engines run the expression
    as usual.
    """
    if wh.backend.name != "duckdb":
        return build().to_pyarrow()
    return run_compiled(wh.backend.con, compiled_sql(wh, key, build))


Compiled = tuple[str, Any]
"""A query's DuckDB SQL and the Ibis schema its result is typed by."""


def compiled_sql(wh: Warehouse, key: Hashable, build: Callable[[], ir.Table]) -> Compiled:
    """The DuckDB SQL of ``build()``'s query and its schema, compiled once per ``key``."""
    compiled = _compiled(wh)
    found = compiled.get(key)
    if found is None:
        expr = build()
        found = (str(wh.backend.compile(expr)), expr.schema())
        with _COMPILED_LOCK:
            if len(compiled) >= _MAX_COMPILED:
                for old in list(compiled)[: len(compiled) // 2]:
                    del compiled[old]
            compiled[key] = found
    return found


def run_compiled(con: duckdb.DuckDBPyConnection, compiled: Compiled) -> pa.Table:
    """Run compiled SQL on a DuckDB connection (any thread's own), its result typed as Ibis types
    it."""
    sql, schema = compiled
    # Imported here: the converter imports pandas (~50 MB), and the derived rebuild of a sync
    # imports this module (through reports.metrics_queries) without running a report.
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    result: pa.Table = DuckDBPyArrowData.convert_table(con.sql(sql).to_arrow_table(), schema)
    return result
