"""Benchmark: a Kommo sync of a ~50k-lead fake account at Kommo's real rate limit (not a test).

The fake Kommo of ``tests/kommo`` runs in its own process (its memory is not the sync's), built
from stacked demo accounts, limiting to 7 requests/s with 429s as Kommo does. The sync runs in
another process with the default settings (6.5 requests/s), into a fresh DuckDB file. Reported:

- requests made vs the minimum possible (one request per page of each list, a 204 for an empty
  list, the reference lists), and how many were retried;
- achieved requests/s vs the 7/s ceiling (goal >= 90% with zero 429s), over the request phase;
- peak RSS of the sync process (goal < 300 MB, flat in account size: two sizes are measured),
  while reading pages and including the final rebuild of the derived tables; the process first
  imports ``salesscope.cli.app``, as ``salesscope sync`` does;
- requests of an incremental sync of the unchanged account (goal <= 15);
- where the memory goes: peak RSS per phase (each stream, tombstones, derived rebuild and each
  table it writes: ``derived TABLE``), sampled every 20 ms with psutil.

    python bench/sync.py [--sizes 10000,50000]     # about 11 minutes at 6.5 requests/s
    python bench/sync.py --sizes 50000 --fast      # no rate limit: memory only, about a minute
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

CEILING = 7.0
DEMO_DEALS = 20_072
"""Deals of one demo account (seed 7, 2026-06-15); a size is made of copies of every 2nd deal."""
TOUCH_EVERY = 10
"""Keep one call, task, note and message in 10 (stage moves and creations all): about five events
per lead, so 50k leads take ~9 minutes at Kommo's rate rather than half an hour."""


def account_shape(leads: int) -> tuple[int, int]:
    """(copies, every) of the demo account giving about ``leads`` leads."""
    every = 2
    copies = max(1, round(leads / (DEMO_DEALS / every)))
    return copies, every


# -- the fake, in its own process ------------------------------------------------------------------

def serve(leads: int, fast: bool) -> None:
    from kommo.fake_account import build_account
    from kommo.fake_server import FakeKommo, FakeOptions

    copies, every = account_shape(leads)
    account = build_account(every=every, copies=copies, touch_every=TOUCH_EVERY)
    fake = FakeKommo(account, FakeOptions(rate_limit=None if fast else CEILING, retry_after=1)).start()
    print(json.dumps({"url": fake.url, "token": fake.options.token, "minimum": minimum_requests(account)}), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
    fake.stop()


def minimum_requests(account: Any) -> int:
    """Pages a perfect client needs: every list read once at its page size, 1 for an empty one."""
    def pages(n: int, size: int) -> int:
        return max(1, math.ceil(n / size))

    lists = [
        (len(account.users), 250), (len(account.loss_reasons), 250), (len(account.leads), 250),
        (len(account.deleted_leads), 250), (len(account.contacts), 250), (len(account.companies), 250),
        (len(account.tasks), 250), *[(len(n), 250) for n in account.notes.values()], (len(account.events), 100),
    ]
    return 2 + sum(pages(n, size) for n, size in lists)  # + account and pipelines


# -- the sync, in its own process ------------------------------------------------------------------

class RssSampler:
    """Peak RSS per phase of the sync, sampled every 20 ms on a thread (psutil)."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.phase = "start"
        self.peaks: dict[str, float] = {}
        self.anon: dict[str, float] = {}
        """Peak RSS less file-backed pages (the libraries' code): the memory the sync allocated."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def enter(self, phase: str) -> None:
        self.note()
        self.phase = phase
        self.note()

    def note(self) -> None:
        info = self.process.memory_info()
        rss, anon = info.rss / 2**20, (info.rss - info.shared) / 2**20  # shared: mapped files (libraries)
        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), round(rss, 1))
        self.anon[self.phase] = max(self.anon.get(self.phase, 0.0), round(anon, 1))

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.note()


def run(url: str, token: str, db: str, fast: str = "") -> None:
    import salesscope.cli.app  # noqa: F401  (the modules a `salesscope sync` process holds)
    from salesscope.connectors.kommo import sync as sync_module
    from salesscope.connectors.kommo.auth import LongLivedToken
    from salesscope.connectors.kommo.client import ClientOptions, KommoClient
    from salesscope.connectors.kommo.sync import NoProgress, sync
    from salesscope.warehouse.store import Warehouse

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)  # a lean sync's fallback shows
    stamps: list[float] = []
    peaks: dict[str, float] = {}
    sampler = RssSampler()
    sampler.note()  # "start": the imports of the command line
    sampler.enter("open")
    wh = Warehouse.open(db)
    rebuild = Warehouse.refresh_derived
    find_tombstones = sync_module.tombstones

    duckdb_mb: dict[str, dict[str, float]] = {}

    def duckdb_memory(phase: str) -> None:
        """DuckDB's own account of its memory by tag (buffer pool, ART indexes...) as a phase ends."""
        rows = wh.engine.query("SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0")
        duckdb_mb.setdefault(phase, {str(tag): round(int(n) / 2**20, 1) for tag, n in rows})  # the first sync

    def measured_rebuild(self: Warehouse, *args: Any) -> None:
        """The first sync's rebuild of the derived tables (``warehouse.derived``), measured apart."""
        peaks.setdefault("streaming_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        duckdb_memory(f"before derived ({sampler.phase})")
        sampler.enter("derived")
        began = time.monotonic()
        execute = self.engine.execute
        first = "derived_seconds" not in peaks

        def per_table(sql: str) -> None:
            """The first rebuild's peak per table it writes (phase ``derived TABLE``)."""
            words = sql.split()
            if first and words[:2] in (["CREATE", "TABLE"], ["INSERT", "INTO"]):
                sampler.enter(f"derived {words[2]}")
            execute(sql)

        self.engine.execute = per_table  # type: ignore[method-assign]
        try:
            rebuild(self, *args)
        finally:
            self.engine.execute = execute  # type: ignore[method-assign]
        peaks.setdefault("derived_seconds", time.monotonic() - began)
        duckdb_memory("after derived")
        sampler.enter("after")

    def measured_tombstones(*args: Any) -> Any:
        sampler.enter("tombstones")
        return find_tombstones(*args)

    class PhaseProgress(NoProgress):
        def stream_started(self, name: str, label: str) -> None:
            duckdb_memory(f"before {name}")
            sampler.enter(name)

    Warehouse.refresh_derived = measured_rebuild  # type: ignore[method-assign]
    sync_module.tombstones = measured_tombstones  # type: ignore[assignment]

    class TimedClient(KommoClient):
        def _send(self, *args: Any, **kwargs: Any) -> Any:
            stamps.append(time.monotonic())
            return super()._send(*args, **kwargs)

    options = ClientOptions(rate=1000.0) if fast else ClientOptions()
    with sampler, TimedClient(url, LongLivedToken(token), options) as client:
        sampler.enter("reference")
        began = time.monotonic()
        first = sync(wh, client, progress=PhaseProgress(), reconnect=True)  # as `salesscope sync`
        seconds = time.monotonic() - began
        span = stamps[-1] - stamps[0]
        phase_requests = len(stamps)
        statuses = dict(client.stats.by_status)
        retries = client.stats.retries
        sampler.enter("incremental")
        second = sync(wh, client, reconnect=True)
    counts = wh.counts()
    wh.close()
    print(json.dumps({
        "requests": first.requests, "seconds": seconds, "rate": (phase_requests - 1) / span,
        "statuses": statuses, "retries": retries, "rows": first.rows, "deals": counts["deals"],
        "activities": counts["activities"], "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "incremental_requests": second.requests, **peaks, "phase_peak_rss_mb": sampler.peaks,
        "phase_peak_anon_mb": sampler.anon, "duckdb_memory_mb": duckdb_mb,
    }), flush=True)


# -- both, per size ----------------------------------------------------------------------------------

def measure(leads: int, fast: bool) -> dict[str, Any]:
    here = str(Path(__file__).resolve())
    flag = ["fast"] if fast else []
    fake = subprocess.Popen([sys.executable, here, "serve", str(leads), *flag], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None and fake.stdin is not None
    info = json.loads(fake.stdout.readline())
    try:
        with tempfile.TemporaryDirectory() as folder:
            done = subprocess.run([sys.executable, here, "run", info["url"], info["token"], f"{folder}/w.duckdb",
                                   *flag],
                                  stdout=subprocess.PIPE, text=True, check=True)
    finally:
        fake.stdin.close()
        fake.wait()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["minimum"] = info["minimum"]
    result["leads"] = leads
    return result


def report(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("leads (deals)", "activities", "requests / minimum", "retried", "429s", "req/s (of 7)",
                  "sync time", "peak RSS: pages / with derived rebuild", "incremental requests",
                  title="Kommo sync benchmark")
    for r in results:
        share = r["rate"] / CEILING
        table.add_row(f"{r['leads']:,} ({r['deals']:,})", f"{r['activities']:,}",
                      f"{r['requests']:,} / {r['minimum']:,}", str(r["retries"]),
                      str(r["statuses"].get("429", 0)), f"{r['rate']:.2f} ({share:.0%})",
                      f"{r['seconds'] / 60:.1f} min",
                      f"{r['streaming_peak_rss_mb']:.0f} / {r['peak_rss_mb']:.0f} MB ({r['derived_seconds']:.0f} s)",
                      str(r["incremental_requests"]))
    Console().print(table)
    print(json.dumps(results, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="bench", choices=("bench", "serve", "run"))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--sizes", default="10000,50000", help="Lead counts to measure, comma-separated.")
    parser.add_argument("--fast", action="store_true",
                        help="No rate limit (fake and client): only the memory figures mean anything.")
    options = parser.parse_args()
    if options.mode == "serve":
        serve(int(options.args[0]), len(options.args) > 1)
    elif options.mode == "run":
        run(*options.args)
    else:
        report([measure(int(size), options.fast) for size in options.sizes.split(",")])


if __name__ == "__main__":
    main()
