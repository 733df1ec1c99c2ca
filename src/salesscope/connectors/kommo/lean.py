"""DuckDB settings for a sync process of its own: one thread and a small memory limit.

Why: a sync's memory is the Python libraries (~175 MB RSS after ``import salesscope.cli.app``, of
which ~120 MB is their mapped code) plus whatever DuckDB's buffer pool grows to, and DuckDB by
default may take 80% of the machine's memory for its caches and sorts. Measured with
``bench/sync.py`` (50k leads, 284k actions), the sync peaked at 598 MB with the defaults and at
441 MB with one thread and a 128 MB limit (together with the activity tables built by ranges of
days, ``warehouse.derived_activity``; DuckDB spills the sorts and joins it can to disk). Paging
through Kommo is limited by its 7 requests/s, not by DuckDB, so one thread costs nothing there.

Some operators cannot spill: if DuckDB runs out of memory anyway (a very large account), the
settings go back to what they were and the work is retried once — for a sync that means resuming
from its last committed page, which ends with exactly the data of an uninterrupted run.

Not for a server's in-process sync (``serve``): the settings are per database, and its report
queries share them.

``without_pandas`` keeps pandas out of a sync process of its own: pyarrow imports pandas (~57 MB
RSS) the first time it converts a Python list, only to ask whether the list is a pandas object —
it never is in a sync.

Where the rest goes, and what returns it (``bench/sync.py --fast``, peak RSS while reading pages /
with the derived rebuild, 10k and 50k leads): 311 / 343 and 342 / 359 MB with a 64 MB limit and a
reopen every 200 pages. Then: no pandas in the first derived build of a new warehouse
(``tests/test_imports.py``; 10k 283 / 306, 50k 300 / 325, with 50 pages); DuckDB's jemalloc purged
after every page (``page_done``: each upsert leaves ~1 MB freed but resident) and after every
statement of the rebuild (``statement_done``): 50k 297 / 315; a 48 MB limit: 10k 273 / 288, 50k
296 / 302 (the rebuild's statements fill whatever the limit allows; none ran out of memory). What
is left is the reopen's checkpoint while reading pages (~+35 MB for a moment) and the rebuild's
statements and commit. Committing the rebuild statement by statement changed nothing (301 against
299 MB), nor did building deal_progress in smaller ranges.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
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

MEMORY_LIMIT = os.environ.get("SALESSCOPE_SYNC_MEMORY_LIMIT", "48MB")
"""DuckDB's memory limit during a sync (``SALESSCOPE_SYNC_MEMORY_LIMIT`` overrides it)."""
THREADS = 1
_SETTINGS = ("memory_limit", "threads", "allocator_flush_threshold", "allocator_background_threads")

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


def trim_malloc() -> None:
    """Return freed pages to the system: DuckDB's jemalloc purges its arenas, glibc trims its heaps.

    Both allocators otherwise keep freed memory resident for reuse (measured: 30-40 MB each after a
    sync's pages). Best effort: a build without these symbols (not Linux) skips them.
    """
    with contextlib.suppress(OSError, AttributeError):
        _library("duckdb").duckdb_je_mallctl(b"arena.4096.purge", None, None, None,
                                             ctypes.c_size_t(0))  # 4096: every arena
    with contextlib.suppress(OSError, AttributeError):
        _library("c").malloc_trim(0)


@functools.cache
def _library(name: str) -> ctypes.CDLL:
    """DuckDB's native module or the C library, found and loaded once: ``trim_malloc`` runs after
    every page of a sync, and ``find_library`` runs ``ldconfig`` in a subprocess each time."""
    return ctypes.CDLL(duckdb_library() if name == "duckdb" else ctypes.util.find_library(name) or "libc.so.6")


def duckdb_library() -> str:
    """The path of DuckDB's native module (it carries DuckDB's own jemalloc)."""
    import _duckdb  # type: ignore[import-not-found]

    return str(_duckdb.__file__)


class _RefusePandas(importlib.abc.MetaPathFinder):
    """An import finder under which ``import pandas`` fails."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] == "pandas":
            raise ImportError("pandas is kept out of a sync process")
        return None


class LeanDuckDB:
    """``with LeanDuckDB(wh): ...`` applies the lean settings (DuckDB only) and restores them."""

    def __init__(self, wh: Warehouse, enabled: bool = True, reconnect: bool = False,
                 release_pages: int = 50) -> None:
        self.wh = wh
        self.reconnect = reconnect
        self.release_pages = release_pages
        """``page_done`` calls ``release`` every this many pages."""
        self._pages = 0
        self.enabled = enabled and wh.engine.name == "duckdb"
        self._saved: dict[str, str] | None = None
        self._lean = {"memory_limit": MEMORY_LIMIT, "threads": str(THREADS),
                      # DuckDB's jemalloc gives freed pages back after each statement, not on its next
                      # allocation burst (30-45 MB held between the derived rebuild's statements).
                      "allocator_flush_threshold": "8MB", "allocator_background_threads": "true"}

    def __enter__(self) -> LeanDuckDB:
        if self.enabled:
            listed = ", ".join(f"current_setting('{name}')" for name in _SETTINGS)
            row = self.wh.engine.query(f"SELECT {listed}")[0]
            self._saved = {name: str(value) for name, value in zip(_SETTINGS, row, strict=True)}
            self._apply(self._lean)
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

    def release(self) -> None:
        """Give memory back to the system between phases (a sync's peaks come one after another).

        With ``reconnect`` (a process whose only user of the warehouse is the sync: Ibis tables taken
        before are unusable after), reopens the database, dropping what DuckDB accumulates per upsert
        (``DuckDBEngine.reconnect``), with the lean settings again. Then DuckDB's jemalloc and glibc's
        ``malloc`` return their freed pages: neither is needed until the next phase.
        """
        if self._saved is None:
            return
        if self.reconnect:
            self.wh.reconnect()
            self._apply(self._lean)
        gc.collect()  # a phase's cyclic garbage (Ibis expressions of a build) before trimming
        trim_malloc()

    def page_done(self) -> None:
        """After each upserted page: return DuckDB's freed pages, and ``release`` every ``pages`` pages.

        Why each page: an upsert leaves ~1 MB of freed but resident pages in DuckDB's jemalloc that
        its flush threshold does not return (measured: RSS +25-30 MB over 25 pages, 15-20 MB of it
        given back by a purge); a purge costs ~1 ms, a reopen more.
        """
        if self._saved is None:
            return
        self._pages += 1
        if self._pages % self.release_pages == 0:
            self.release()
        else:
            trim_malloc()

    def statement_done(self) -> None:
        """After each statement of the derived rebuild: return DuckDB's freed pages (~1 ms).

        Measured with ``bench/sync.py --fast`` at 50k leads: the rebuild's RSS otherwise only grows
        from one statement to the next (240 -> 327 MB); with it, 316 MB.
        """
        if self._saved is not None:
            trim_malloc()

    def _apply(self, settings: dict[str, str]) -> None:
        for name, value in settings.items():
            quoted = value.replace("'", "''")
            self.wh.engine.execute(f"SET {name} = '{quoted}'")
