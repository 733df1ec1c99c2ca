"""Login attempts, rate-limited per user name and per client address.

Failures are counted in a sliding window; a name or address that fails too often waits (the login
answers 429 with Retry-After) whatever password it sends next. Held in the server's memory: a
restart forgets the counts, which only favours a user who mistyped.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    """At most ``per_name`` failures per user name and ``per_address`` per client per window."""

    def __init__(self, per_name: int = 5, per_address: int = 20, window_s: float = 300.0) -> None:
        self.per_name = per_name
        self.per_address = per_address
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait_s(self, address: str, name: str) -> float:
        """Seconds until this address may try this name again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            waits = [
                self._wait(f"name:{name.casefold()}", self.per_name, now),
                self._wait(f"addr:{address}", self.per_address, now),
            ]
        return max(waits)

    def failed(self, address: str, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures[f"name:{name.casefold()}"].append(now)
            self._failures[f"addr:{address}"].append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(f"name:{name.casefold()}", None)

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < limit:
            return 0.0
        return times[-limit] + self.window_s - now
