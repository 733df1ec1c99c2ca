"""``sync``: Kommo → canonical tables, incremental by default, resumable after any crash.

A run reads the reference lists, then each stream (``streams.STREAMS``) page by page; every page
is upserted together with its checkpoint in one transaction, so ``kill -9`` at any moment loses
at most the page in flight, and the next ``sync`` resumes that run where it stopped (same start
time, same windows, same pages) and ends with exactly the data of an uninterrupted run. A
finished stream's cursor becomes ``min(newest change seen, run start) - overlap``: it never moves
past the moment the run started, and the overlap is read again harmlessly (upserts by CRM id).
After the last stream, leads deleted before any sync saw them get a deal row rebuilt from their
events (``tombstones``), the derived tables are rebuilt and the run is marked finished.

``sync`` is a plain function of a warehouse and a client, so a server can run it in-process.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from salesscope.connectors.kommo import state as st
from salesscope.connectors.kommo.client import KommoClient
from salesscope.connectors.kommo.ids import unix
from salesscope.connectors.kommo.lean import LeanDuckDB, without_pandas
from salesscope.connectors.kommo.load import LOADERS, LoadContext
from salesscope.connectors.kommo.reference import check_same_account, fetch_reference
from salesscope.connectors.kommo.streams import STREAMS, Stream
from salesscope.connectors.kommo.tombstones import tombstones
from salesscope.warehouse.store import Warehouse

DEFAULT_OVERLAP_S = 300
"""Each incremental window starts this long before the last run did (clock skew, late writes)."""
CLOCK_SKEW_S = 60
"""How far Kommo's clock may be behind ours when judging whether a deletion came mid-stream."""
RELEASE_PAGES = 50
"""A lean sync gives memory back (``LeanDuckDB.release``) every this many pages and after each stream:
what DuckDB accumulates per upsert grows with the pages read, not with the data kept. Measured with
``bench/sync.py --fast`` at 50k leads: 200 pages 342 MB while reading leads, 50 pages 320 MB, at no
measurable cost in time (a reopen takes a few ms; the run takes 65-75 s either way)."""


class SyncProgress(Protocol):
    """Where a sync reports what it does (a Rich progress bar in the CLI, a status line on a page)."""

    def stream_started(self, name: str, label: str) -> None: ...

    def page_loaded(self, name: str, records: int) -> None: ...

    def stream_finished(self, name: str, rows: int) -> None: ...


class NoProgress:
    """A silent ``SyncProgress``."""

    def stream_started(self, name: str, label: str) -> None:
        pass

    def page_loaded(self, name: str, records: int) -> None:
        pass

    def stream_finished(self, name: str, rows: int) -> None:
        pass


@dataclass(frozen=True)
class SyncReport:
    """What a run did."""

    run_started: dt.datetime
    finished_at: dt.datetime
    full: bool
    resumed: bool
    rows: dict[str, int]
    """Rows written per stream (upserts: a row read twice counts twice)."""
    requests: int
    seconds: float


def utc_now() -> dt.datetime:
    """Now, as the warehouse stores times: naive UTC, whole seconds."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def sync(
    wh: Warehouse,
    client: KommoClient,
    *,
    full: bool = False,
    progress: SyncProgress | None = None,
    overlap_s: int = DEFAULT_OVERLAP_S,
    web_root: str | None = None,
    lean: bool = True,
    reconnect: bool = False,
) -> SyncReport:
    """Bring the warehouse up to date with the Kommo account behind ``client``.

    ``full`` reads everything again (still upserting: nothing is deleted first). An unfinished
    run is resumed unless ``full`` asks for more than it was doing. ``lean`` keeps a DuckDB
    warehouse to one thread and a small memory limit meanwhile, and pandas out of the process
    (module ``lean``); a server passes False, as its report queries share those settings.
    ``reconnect`` (with ``lean``, for a process of its own: ``salesscope sync``) reopens a DuckDB
    warehouse every ``RELEASE_PAGES`` pages to drop memory DuckDB keeps per upsert
    (``LeanDuckDB.release``); Ibis tables taken from ``wh`` before the sync are unusable after it.
    """
    began, requests_before = time.monotonic(), client.stats.requests
    if lean:
        without_pandas()
    with LeanDuckDB(wh, lean, reconnect, RELEASE_PAGES) as settings:
        # Out of memory even so: resume the run (from its last committed page) without the limit.
        report = settings.run(lambda: _sync(wh, client, full, progress or NoProgress(), overlap_s, web_root,
                                            settings.release, settings.page_done,
                                            settings.statement_done if settings.enabled else None))
    return replace(report, requests=client.stats.requests - requests_before, seconds=time.monotonic() - began)


def _sync(wh: Warehouse, client: KommoClient, full: bool, progress: SyncProgress, overlap_s: int,
          web_root: str | None, release: Callable[[], None] = lambda: None,
          page_done: Callable[[], None] = lambda: None,
          statement_done: Callable[[], None] | None = None) -> SyncReport:
    began, requests_before = time.monotonic(), client.stats.requests
    saved = st.read(wh)
    resumed = saved.unfinished and (saved.full or not full)
    run_full = saved.full if resumed else full
    run_started = saved.started_at if resumed and saved.started_at else utc_now()

    reference = fetch_reference(client)
    check_same_account(wh, reference.account)
    if not resumed:
        wh.upsert({"sync_state": st.run_row(run_started, run_full, None, 0)})
    done = st.StreamState(run=unix(run_started), done=True, rows=len(reference.users))
    wh.upsert({**reference.tables(web_root),
               "sync_state": st.stream_row("reference", done, run_started, utc_now())})

    ctx = LoadContext(wh, reference.context(), unix(run_started), overlap_s)
    rows = {"reference": done.rows}
    for stream in STREAMS:
        prior = saved.streams.get(stream.name)
        rows[stream.name] = _run_stream(stream, prior, client, ctx, run_started, run_full, progress, page_done)
        release()
    wh.upsert({"deals": tombstones(wh, ctx.records.currency)})
    release()
    wh.refresh_derived(statement_done)
    release()
    finished = utc_now()
    wh.upsert({"sync_state": st.run_row(run_started, run_full, finished, sum(rows.values()))})
    return SyncReport(run_started, finished, run_full, resumed, rows,
                      client.stats.requests - requests_before, time.monotonic() - began)


def _run_stream(
    stream: Stream,
    prior: st.StreamState | None,
    client: KommoClient,
    ctx: LoadContext,
    run_started: dt.datetime,
    full: bool,
    progress: SyncProgress,
    page_done: Callable[[], None] = lambda: None,
) -> int:
    """Every page of every pass of one stream, from its checkpoint; returns rows written."""
    if prior is not None and prior.run == ctx.run_started:
        state = prior
        if state.done:
            return state.rows
    else:
        since = None if full or prior is None else prior.since
        state = st.StreamState(since=since, run=ctx.run_started)
    progress.stream_started(stream.name, stream.label)
    if state.began is None:
        state.began = unix(utc_now())
    while state.pass_no < len(stream.passes):
        one = stream.passes[state.pass_no]
        target = state.next_link if state.started else one.first_link(state.since, ctx.run_started)
        while target:
            page = client.page(target, one.items_key)
            load = LOADERS[one.key](page.items, ctx)
            state.started, state.next_link = True, page.next_link
            state.max_seen = _max(state.max_seen, load.max_seen)
            # A record deleted while its list was read shifts the pages after it: one record may
            # have been skipped, so the next run reads this window again.
            if load.latest_deletion is not None and load.latest_deletion >= state.began - CLOCK_SKEW_S:
                state.frozen = True
            state.rows += load.rows
            ctx.wh.upsert({**load.tables,
                           "sync_state": st.stream_row(stream.name, state, run_started, None)})
            progress.page_loaded(stream.name, len(page.items))
            target = page.next_link
            page_done()
        state.pass_no, state.started, state.next_link = state.pass_no + 1, False, None
    finished = replace(state, since=_next_since(state, ctx), done=True, max_seen=None)
    ctx.wh.upsert({"sync_state": st.stream_row(stream.name, finished, run_started, utc_now())})
    progress.stream_finished(stream.name, finished.rows)
    return finished.rows


def _next_since(state: st.StreamState, ctx: LoadContext) -> int | None:
    """The next window's start: never past the run's start, minus the overlap."""
    if state.frozen or state.max_seen is None:
        return state.since
    return min(state.max_seen, ctx.run_started) - ctx.overlap_s


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
