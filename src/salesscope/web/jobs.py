"""Scheduled jobs in the server process: callables run every N minutes under the writer lock.

The server owns the only read-write connection (design A), so a sync scheduled by ``serve
--sync-every 10m`` runs here, in-process, while requests keep reading their own snapshots. The
same runner answers the control API's "run this job now" (``salesscope sync`` while the server
runs). Each job's last start, end, outcome and message feed the sync-status line on every page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from salesscope.warehouse.store import Warehouse
from salesscope.web.runtime import Runtime

log = logging.getLogger("salesscope.web.jobs")

JobFunction = Callable[[Warehouse], Mapping[str, Any] | None]

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h)?\s*$")


def parse_every(text: str) -> float | None:
    """``10m``, ``90s``, ``1h`` → seconds; ``0`` or ``off`` → None (not scheduled)."""
    if text.strip().lower() in ("0", "off", "never", ""):
        return None
    match = _EVERY.match(text.lower())
    if not match or int(match[1]) == 0:
        raise ValueError(f"malformed interval {text!r}; valid: e.g. 90s, 10m, 1h or off")
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2] or "m"]


@dataclass(frozen=True)
class Job:
    """A named callable on the warehouse; ``every_s`` None = only when asked (control API).

    ``due`` (optional) is asked before each scheduled run, outside the writer lock: a job with
    nothing to do (no webhook arrived) then neither takes the lock nor empties the result cache.
    """

    name: str
    run: JobFunction
    every_s: float | None = None
    due: Callable[[], bool] | None = None


@dataclass
class JobState:
    running: bool = False
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    ok: bool | None = None
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    next_at: dt.datetime | None = None

    def describe(self) -> dict[str, Any]:
        def stamp(value: dt.datetime | None) -> str | None:
            return value.isoformat() + "Z" if value else None

        return {"running": self.running, "started_at": stamp(self.started_at),
                "finished_at": stamp(self.finished_at), "ok": self.ok, "message": self.message,
                "result": self.result, "next_at": stamp(self.next_at)}


class JobBusy(RuntimeError):
    """The job is already running (a second run would only wait for the writer lock)."""


class JobRunner:
    """Runs jobs on schedule in one daemon thread, and on demand from any thread."""

    def __init__(self, runtime: Runtime, jobs: list[Job]) -> None:
        self.runtime = runtime
        self.jobs = {job.name: job for job in jobs}
        self.states = {job.name: JobState() for job in jobs}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the schedule, and the refresh of recently used results after each write (off
        with ``SALESSCOPE_REFRESH=off``, for the benchmark's comparison)."""
        if os.environ.get("SALESSCOPE_REFRESH") != "off":
            self.runtime.refresher.start()
        now = _now()
        for job in self.jobs.values():
            if job.every_s is not None:
                self.states[job.name].next_at = now + dt.timedelta(seconds=job.every_s)
        if any(job.every_s is not None for job in self.jobs.values()):
            self._thread = threading.Thread(target=self._loop, name="salesscope-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop both before the warehouse closes (a refresh must not read a closed connection)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.runtime.refresher.stop()

    def run_now(self, name: str) -> JobState:
        """Run a job in the calling thread and return its state (JobBusy if it is running)."""
        job = self.jobs.get(name)
        if job is None:
            raise KeyError(f"unknown job {name!r}; valid: {', '.join(self.jobs) or '(none)'}")
        state = self.states[name]
        with self._lock:
            if state.running:
                raise JobBusy(f"job {name} is already running (since {state.started_at} UTC)")
            state.running, state.started_at = True, _now()
        try:
            result = self.runtime.write(job.run)
            state.ok, state.message, state.result = True, "", dict(result or {})
        except Exception as exc:  # a failed sync must not stop the server; it is shown on every page
            log.exception("job %s failed", name)
            state.ok, state.message = False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        finally:
            state.running, state.finished_at = False, _now()
            if job.every_s is not None:
                state.next_at = state.finished_at + dt.timedelta(seconds=job.every_s)
        return state

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = _now()
            for name, state in self.states.items():
                if state.next_at is None or state.next_at > now or state.running:
                    continue
                due = self.jobs[name].due
                if due is not None and not due():
                    state.next_at = now + dt.timedelta(seconds=self.jobs[name].every_s or 1.0)
                    continue
                with contextlib.suppress(JobBusy):
                    self.run_now(name)
            self._stop.wait(timeout=1.0)

    def describe(self) -> dict[str, dict[str, Any]]:
        return {name: state.describe() for name, state in self.states.items()}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def wait_until_idle(runner: JobRunner, timeout_s: float = 30.0) -> None:
    """For tests and shutdown: wait until no job is running."""
    deadline = time.monotonic() + timeout_s
    while any(s.running for s in runner.states.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
