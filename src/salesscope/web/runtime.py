"""What the server process holds: the one read-write warehouse, its writer lock and a result cache.

Design (A) of ``../shared/STACK.md``: ``serve`` owns the only read-write DuckDB connection. Every
request reads through its own thread's cursor (``Warehouse.backend`` is per thread); every write
(settings, scheduled syncs) goes through ``write`` under one lock, since the main connection must
not be used by two threads at once. Results are cached until the warehouse changes: a cached entry
remembers the catalog it was computed under, and every write path replaces the catalog.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import anyio.to_thread

from salesscope.warehouse.store import Catalog, Warehouse

T = TypeVar("T")
_HOLDING_TURN: contextvars.ContextVar[bool] = contextvars.ContextVar("salesscope_turn", default=False)


class ResultCache:
    """A small LRU of computed values, each valid only under the catalog it was computed with."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Catalog, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.enabled = True

    def get_or_compute(self, wh: Warehouse, key: Hashable, compute: Callable[[], T]) -> T:
        catalog = wh.catalog()
        if self.enabled:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry[0] is catalog:
                    self._entries.move_to_end(key)
                    return entry[1]  # type: ignore[return-value]
        value = compute()
        if self.enabled:
            with self._lock:
                self._entries[key] = (catalog, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Runtime:
    """The warehouse a server serves, with the lock every write takes."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.cache = ResultCache()
        self._write_lock = threading.Lock()
        self.on_change: list[Callable[[], None]] = []
        """Called after every write (e.g. to rebuild the overview before anyone asks)."""
        # DuckDB gives each thread its own cursor; the PostgreSQL engine shares one connection
        # between threads, so there every request and write takes turns (see serial_requests).
        self.serial: threading.Lock | None = None if warehouse.engine.name == "duckdb" else threading.Lock()

    def write(self, change: Callable[[Warehouse], T]) -> T:
        """Run a change on the main connection, one at a time; readers keep their snapshot."""
        try:
            with self._write_lock, self.taking_turns():
                try:
                    return change(self.warehouse)
                finally:
                    self.warehouse.invalidate()
                    self.cache.clear()
        finally:
            for hook in self.on_change:
                hook()

    def taking_turns(self) -> contextlib.AbstractContextManager[object]:
        """The engine's turn (PostgreSQL), unless this request already holds it."""
        if self.serial is None or _HOLDING_TURN.get():
            return contextlib.nullcontext()
        return self.serial

    @property
    def writing(self) -> bool:
        return self._write_lock.locked()


class SerialRequests:
    """ASGI middleware: one request at a time when the engine shares one connection (PostgreSQL).

    Correct but slow; the real fix is a connection per thread in ``PostgresEngine.ibis``.
    """

    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        lock = self.runtime.serial
        if lock is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await anyio.to_thread.run_sync(lock.acquire)
        token = _HOLDING_TURN.set(True)  # seen by the handler's worker thread (context is copied)
        try:
            await self.app(scope, receive, send)
        finally:
            _HOLDING_TURN.reset(token)
            lock.release()
