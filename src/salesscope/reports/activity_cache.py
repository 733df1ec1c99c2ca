"""What the activity reports keep between runs, and why it cannot go stale.

A report at 10M actions scans a month in 1-4 ms; against that, Ibis asking the database for a
table's schema (1.7 ms) or a report re-reading slowly changing facts (each person's first and
last working day, the proposal stages, the lunch hours: 1-4 ms each) would double its time. So:

- table expressions are kept per Ibis backend: a derived table's columns are fixed for a version
  of salesscope, and a rebuild recreates them alike;
- values derived from the loaded data or the settings are kept with the warehouse's ``Catalog``
  and dropped with it — ``Warehouse.invalidate()`` runs on every write through the warehouse (a
  load, a sync, ``settings.set_value``), exactly as for the users and stages the catalog holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import ibis.expr.types as ir

from salesscope.warehouse.store import Warehouse

T = TypeVar("T")

# Per warehouse (gone with it), per Ibis backend (one per thread; a table expression belongs to
# the backend that read it): name -> value.
_KEPT: WeakKeyDictionary[Warehouse, dict[int, dict[str, Any]]] = WeakKeyDictionary()


def _kept(wh: Warehouse) -> dict[str, Any]:
    backend = wh.backend
    per_backend = _KEPT.setdefault(wh, {})
    kept = per_backend.get(id(backend))
    if kept is None or kept["backend"] is not backend:
        kept = per_backend[id(backend)] = {"backend": backend}
    return kept


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
