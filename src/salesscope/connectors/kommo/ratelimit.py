"""A token bucket that keeps every request to one Kommo account under its rate limit.

Kommo allows 7 requests per second and blocks accounts that keep exceeding it (403 on every
request), so the limiter is shared by everything in the process that talks to the same account:
the scheduled sync, a webhook's targeted fetch, an OAuth refresh. The default of 6.5 requests/s
leaves room for network jitter (a request sent on time can still arrive early relative to the
one before it) while using 93% of the ceiling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_RATE = 6.5
"""Requests per second; Kommo's ceiling is 7."""

KOMMO_CEILING = 7.0


class RateLimiter:
    """Spaces requests at least ``1/rate`` seconds apart (a bucket of one token), thread-safe."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate limit must be positive, not {rate}")
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this request's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + 1.0 / self.rate
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (after a 429's ``retry_after``)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


_SHARED: dict[str, RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(account_key: str, rate: float = DEFAULT_RATE) -> RateLimiter:
    """The one limiter of this process for an account (keyed by its API root)."""
    with _SHARED_LOCK:
        limiter = _SHARED.get(account_key)
        if limiter is None or limiter.rate != rate:
            limiter = RateLimiter(rate)
            _SHARED[account_key] = limiter
        return limiter
