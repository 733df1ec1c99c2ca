"""A token bucket that keeps every request to one Kommo account under its rate limit.

Kommo allows 7 requests per second and blocks accounts that keep exceeding it (403 on every
request), so the limiter is shared by everything that talks to the same account: the scheduled
sync and a webhook's targeted fetch inside ``serve``, an OAuth refresh — and a ``salesscope sync``
run from the command line at the same time, in another process. That is why the bucket lives in a
file (``$SALESSCOPE_HOME/ratelimit/<account>.next``, the next free slot as Unix time) taken under
an exclusive ``flock`` for the microseconds a slot is claimed: every process on the machine that
syncs the account draws from the same bucket. The default of 6.5 requests/s leaves room for
network jitter (a request sent on time can still arrive early relative to the one before it)
while using 93% of the ceiling.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from salesscope import paths

DEFAULT_RATE = 6.5
"""Requests per second; Kommo's ceiling is 7."""

KOMMO_CEILING = 7.0

STALE_AHEAD_S = 900.0
"""A stored slot further ahead than this is stale (the wall clock was set back): start afresh."""


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
        with self._slot() as (now, next_free):
            slot = max(now, next_free)
            self._store(slot + 1.0 / self.rate)
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (after a 429's ``retry_after``)."""
        with self._slot() as (now, next_free):
            self._store(max(next_free, now + seconds))

    @contextmanager
    def _slot(self) -> Iterator[tuple[float, float]]:
        """(now, next free slot), held exclusively until the block ends."""
        with self._lock:
            yield self._clock(), self._next

    def _store(self, next_free: float) -> None:
        self._next = next_free


class FileRateLimiter(RateLimiter):
    """A ``RateLimiter`` whose next free slot is kept in a file, shared by every process using it.

    Times are wall-clock Unix seconds (the one clock all processes agree on).
    """

    def __init__(self, path: Path, rate: float = DEFAULT_RATE,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(rate, time.time, sleep)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def _slot(self) -> Iterator[tuple[float, float]]:
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                now = self._clock()
                next_free = _parse(os.pread(self._fd, 64, 0))
                if next_free > now + STALE_AHEAD_S:
                    next_free = now
                yield now, next_free
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _store(self, next_free: float) -> None:
        data = f"{next_free:.6f}".encode()
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))

    def close(self) -> None:
        os.close(self._fd)


def _parse(data: bytes) -> float:
    try:
        return float(data.decode() or 0)
    except (UnicodeDecodeError, ValueError):
        return 0.0


_SHARED: dict[str, RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def limiter_path(account_key: str) -> Path:
    """The bucket file of an account (keyed by its API root) under ``$SALESSCOPE_HOME``."""
    digest = hashlib.sha256(account_key.encode()).hexdigest()[:16]
    return paths.home() / "ratelimit" / f"{digest}.next"


def shared_limiter(account_key: str, rate: float = DEFAULT_RATE) -> RateLimiter:
    """The limiter for an account (keyed by its API root), shared with every process on this
    machine through its bucket file; in-process only when the file cannot be made."""
    path = limiter_path(account_key)
    key = f"{path}|{account_key}"
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None or limiter.rate != rate:
            try:
                limiter = FileRateLimiter(path, rate)
            except OSError:
                limiter = RateLimiter(rate)
            _SHARED[key] = limiter
        return limiter
