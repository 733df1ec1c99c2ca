"""DuckDB settings for a sync process of its own: one thread and a small memory limit.

Why: a sync's memory is the Python libraries (~165 MB: DuckDB, Arrow, Ibis, httpx) plus whatever
DuckDB's buffer pool grows to, and DuckDB by default may take 80% of the machine's memory for its
caches and sorts. Measured with ``bench/sync.py`` (50k leads, 284k actions), the sync peaked at
598 MB with the defaults and at 441 MB with one thread and a 128 MB limit (together with the
activity tables built by ranges of days, ``warehouse.derived_activity``; DuckDB spills the sorts
and joins it can to disk); 64 MB runs out of memory at that size once the primary-key indexes of
the loaded tables are in memory. Paging through Kommo is limited by its 7 requests/s, not by
DuckDB, so one thread costs nothing there.

Some operators cannot spill: if DuckDB runs out of memory anyway (a very large account), the
settings go back to what they were and the work is retried once — for a sync that means resuming
from its last committed page, which ends with exactly the data of an uninterrupted run.

Not for a server's in-process sync (``serve``): the settings are per database, and its report
queries share them.

``without_pandas`` keeps pandas out of a sync process of its own: pyarrow imports pandas (~57 MB
RSS) the first time it converts a Python list, only to ask whether the list is a pandas object —
it never is in a sync. Measured with ``bench/sync.py --fast`` at 50k leads, importing what
``salesscope sync`` imports: 391 → 358 MB while reading pages, 444 → 417 MB with the rebuild.
What is left grows in DuckDB's native memory (Python's own stays ~60 MB, tracemalloc); DuckDB's
``allocator_flush_threshold`` at 16 MB or a 64 MB limit during the pages changed nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import os
import sys
import types
from collections.abc import Callable, Sequence
from typing import TypeVar

import duckdb
import pyarrow as pa

from salesscope.warehouse.store import Warehouse

log = logging.getLogger("salesscope.kommo")

MEMORY_LIMIT = os.environ.get("SALESSCOPE_SYNC_MEMORY_LIMIT", "128MB")
"""DuckDB's memory limit during a sync (``SALESSCOPE_SYNC_MEMORY_LIMIT`` overrides it)."""
THREADS = 1
_SETTINGS = ("memory_limit", "threads")

T = TypeVar("T")


def without_pandas() -> None:
    """Let pyarrow settle, without importing it, that pandas is absent (when nothing imported it yet).

    pyarrow tries ``import pandas`` once, on its first conversion of a Python sequence; with the
    import failing then, it goes on without pandas. Anything that really converts to pandas later
    asks again and gets it: only the incidental import is skipped.
    """
    if "pandas" in sys.modules:
        return
    refuse = _RefusePandas()
    sys.meta_path.insert(0, refuse)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(refuse)


class _RefusePandas(importlib.abc.MetaPathFinder):
    """An import finder under which ``import pandas`` fails."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] == "pandas":
            raise ImportError("pandas is kept out of a sync process")
        return None


class LeanDuckDB:
    """``with LeanDuckDB(wh): ...`` applies the lean settings (DuckDB only) and restores them."""

    def __init__(self, wh: Warehouse, enabled: bool = True) -> None:
        self.wh = wh
        self.enabled = enabled and wh.engine.name == "duckdb"
        self._saved: dict[str, str] | None = None

    def __enter__(self) -> LeanDuckDB:
        if self.enabled:
            listed = ", ".join(f"current_setting('{name}')" for name in _SETTINGS)
            row = self.wh.engine.query(f"SELECT {listed}")[0]
            self._saved = {name: str(value) for name, value in zip(_SETTINGS, row, strict=True)}
            self._apply({"memory_limit": MEMORY_LIMIT, "threads": str(THREADS)})
        return self

    def __exit__(self, *exc: object) -> None:
        self.relax()

    def relax(self) -> None:
        """Back to the settings found on entry (idempotent)."""
        if self._saved is not None:
            saved, self._saved = self._saved, None
            self._apply(saved)

    def run(self, work: Callable[[], T]) -> T:
        """``work()``; run again with the usual settings if DuckDB ran out of memory."""
        try:
            return work()
        except duckdb.OutOfMemoryException:
            if self._saved is None:
                raise
            log.warning("DuckDB needs more than %s for this account; going on with its usual limit",
                        MEMORY_LIMIT)
            self.relax()
            return work()

    def _apply(self, settings: dict[str, str]) -> None:
        for name, value in settings.items():
            quoted = value.replace("'", "''")
            self.wh.engine.execute(f"SET {name} = '{quoted}'")
