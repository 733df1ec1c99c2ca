"""What the server process holds: the one read-write warehouse, its writer lock and a result cache.

Design (A) of ``../shared/STACK.md``: ``serve`` owns the only read-write DuckDB connection. Every
request reads through its own thread's cursor (DuckDB) or connection (PostgreSQL), since
``Warehouse.backend`` is per thread, so requests run in parallel on both engines; every write
(settings, goals, scheduled syncs) goes through ``write`` under one lock, since the main connection
must not be used by two threads at once. Results are cached until the warehouse changes: a cached
entry remembers the catalog it was computed under, and every write path replaces the catalog.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

from salesscope.warehouse.store import Catalog, Warehouse

T = TypeVar("T")
log = logging.getLogger("salesscope.web.runtime")
_REFRESHING = threading.local()
"""``active`` is set in the refresh thread."""


REFRESHED_KINDS = ("report", "overview", "visible", "deals", "deals-total")
"""Cache keys (by their first item, as ``web.routes_reports`` makes them) whose computation reads
only the warehouse and other cached values: safe to compute again after a write, before anyone
asks. Rendered HTML (a key holding ``"html"``) is not: its recipe holds the result it renders."""


class _Pending:
    """A value one thread is computing; the others asking for it wait instead of computing it too."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.done = threading.Event()
        self.value: object = None
        self.ok = False


class ResultCache:
    """A small LRU of computed values, each valid only under the catalog it was computed with.

    Each value is computed once at a time: a second request for a key being computed waits for
    it (right after a write, eight users opening the overview cost one build, not eight). The
    recipes of recently used keys of ``REFRESHED_KINDS`` are kept across ``clear`` so that
    ``Refresher`` can compute them again after a write.
    """

    def __init__(self, size: int = 256, recipes: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Catalog, object]] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}
        self._recipes: OrderedDict[Hashable, Callable[[], object]] = OrderedDict()
        self._recipe_limit = recipes
        self._lock = threading.Lock()
        self.enabled = True

    def get_or_compute(self, wh: Warehouse, key: Hashable, compute: Callable[[], T]) -> T:
        if not self.enabled:
            return compute()
        catalog = wh.catalog()
        with self._lock:
            self._remember(key, compute)
            entry = self._entries.get(key)
            if entry is not None and entry[0] is catalog:
                self._entries.move_to_end(key)
                return entry[1]  # type: ignore[return-value]
            pending = self._pending.get(key)
            mine = pending is None or pending.catalog is not catalog
            if mine:
                pending = self._pending[key] = _Pending(catalog)
        assert pending is not None
        if not mine:
            pending.done.wait()
            if pending.ok:
                return pending.value  # type: ignore[return-value]
            return self.get_or_compute(wh, key, compute)  # its computation failed: try ourselves
        try:
            value = compute()
            pending.value, pending.ok = value, True
        finally:
            with self._lock:
                if pending.ok:
                    self._entries[key] = (catalog, pending.value)
                    self._entries.move_to_end(key)
                    while len(self._entries) > self.size:
                        self._entries.popitem(last=False)
                if self._pending.get(key) is pending:
                    del self._pending[key]
            pending.done.set()
        return value

    def _remember(self, key: Hashable, compute: Callable[[], object]) -> None:
        if getattr(_REFRESHING, "active", False):
            return  # the refresh's own asking must not reorder (or evict) what people use
        if not (isinstance(key, tuple) and key and key[0] in REFRESHED_KINDS and "html" not in key):
            return
        self._recipes[key] = compute
        self._recipes.move_to_end(key)
        while len(self._recipes) > self._recipe_limit:
            self._recipes.popitem(last=False)

    def recipes(self) -> list[tuple[Hashable, Callable[[], object]]]:
        """The refreshable keys with how to compute them, most recently used first."""
        with self._lock:
            return list(reversed(self._recipes.items()))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Refresher:
    """After each write, computes the recently used reports and overviews again in one background
    thread, most recent first, so that the first view after a sync finds them ready.

    Off until ``start`` (``serve`` starts it with the scheduled jobs; in-process tests never do);
    a write during a refresh restarts it from the most recent key under the new data.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        self.refreshed = 0
        """How many values were computed ahead (for tests and the benchmark)."""

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="salesscope-refresh", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def wake(self) -> None:
        if self._thread is not None:
            self._wake.set()

    @property
    def busy(self) -> bool:
        """A refresh is under way or about to start (for the status and the benchmark)."""
        return self._running or self._wake.is_set()

    def _loop(self) -> None:
        _REFRESHING.active = True
        while not self._stop.is_set():
            self._wake.wait()
            self._running = True
            self._wake.clear()
            try:
                self._refresh()
            finally:
                self._running = False

    def _refresh(self) -> None:
        # The overview first (every visit starts there), then the rest, most recently used first.
        recipes = sorted(self.runtime.cache.recipes(), key=lambda recipe: _kind(recipe[0]) != "overview")
        for key, compute in recipes:
            self._give_way()
            if self._stop.is_set() or self._wake.is_set():
                return  # stopping, or a newer write: start again from the top
            try:
                self.runtime.cache.get_or_compute(self.runtime.warehouse, key, compute)
                self.refreshed += 1
            except Exception:  # an optimisation only: the page reports its own errors
                log.debug("refreshing %r failed", key, exc_info=True)

    def _give_way(self, most_s: float = 2.0) -> None:
        """Wait while requests are in flight (one process, one GIL: a refresh would slow them),
        but at most ``most_s``, so that steady traffic does not starve the refresh."""
        deadline = time.monotonic() + most_s
        while self.runtime.in_flight and time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(0.01)


def _kind(key: Hashable) -> object:
    return key[0] if isinstance(key, tuple) and key else None


class Runtime:
    """The warehouse a server serves, with the lock every write takes."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.cache = ResultCache()
        self.refresher = Refresher(self)
        self.in_flight = 0
        self._in_flight_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.on_change: list[Callable[[], None]] = []
        """Called after every write (e.g. to rebuild the overview before anyone asks)."""

    def write(self, change: Callable[[Warehouse], T]) -> T:
        """Run a change on the main connection, one at a time; readers keep their snapshot."""
        try:
            with self._write_lock:
                try:
                    return change(self.warehouse)
                finally:
                    self.warehouse.invalidate()
                    self.cache.clear()
        finally:
            self.refresher.wake()
            for hook in self.on_change:
                hook()

    @property
    def writing(self) -> bool:
        return self._write_lock.locked()

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """Around each request: while any is in flight, the background refresh waits."""
        with self._in_flight_lock:
            self.in_flight += 1
        try:
            yield
        finally:
            with self._in_flight_lock:
                self.in_flight -= 1


class InFlightRequests:
    """ASGI middleware: counts the requests in flight, so the background refresh gives way to them.

    Requests run in parallel: every thread reads through its own DuckDB cursor or PostgreSQL
    connection, so nothing needs to take turns.
    """

    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.runtime.serving():
            await self.app(scope, receive, send)
