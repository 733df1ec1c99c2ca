"""The metrics report's queries, as pure Ibis builders over a table and a scope.

Kept apart from the report so that the load-time build can run the very same queries over the
whole account (``warehouse.derived_metrics``): a report for all time and no filter — the view a
user opens first — reads those few stored rows instead of aggregating a million deals and three
million stays (measured at the large demo: ~200 ms). Any filter runs the query itself; both paths
are one definition, so their numbers cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import closing
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from salesscope.reports.activity_cache import (
    compiled_arrow,
    compiled_sql,
    per_catalog,
    run_compiled,
    scope_key,
)
from salesscope.reports.filters import Filters, Scope, deal_filter
from salesscope.reports.period import month_of
from salesscope.reports.summary_counts import in_period, undated
from salesscope.warehouse.derived_metrics import ALL_TIME_TABLES, MONTH_TABLES, MONTHS_STORED, Bounds
from salesscope.warehouse.store import Warehouse


def cohort(progress: ir.Table, scope: Scope) -> ir.Table:
    """The cohort collapsed to (pipeline, furthest open stage, outcome, channel) with its deals."""
    c = deal_filter(progress, scope)
    return c.group_by(pipeline_id=c.pipeline_id, max_open_sort=c.max_open_sort,
                      outcome=c.outcome, channel=c.channel).aggregate(deals=c.count())


def closed(closes: ir.Table, scope: Scope) -> ir.Table:
    """Won and lost deals closed in the period, won amount, median and p75 cycle microseconds
    (percentiles over integers run about twice as fast as over fractional days).

    ``closes`` holds the won and lost deals only (``closed_deals``, or ``deal_progress`` limited
    to them): a deal closed but open again counts in neither.
    """
    t = deal_filter(closes, undated(scope))
    t = t.filter(in_period(t.closed_at, scope))
    won = t.outcome == "won"
    # Integer microseconds straight from the timestamps (DuckDB DATE_DIFF, PostgreSQL's exact
    # EXTRACT(EPOCH) of the interval): the same integers as rounding the difference of the float
    # epochs, without two float conversions per row (measured: 4.1 -> 2.9 ms for a month).
    cycle_us = t.closed_at.delta(t.created_at, unit="microsecond")
    return t.aggregate(
        won=t.count(where=won), lost=t.count(where=t.outcome == "lost"),
        won_amount=t.amount.sum(where=won),
        cycle_us=cycle_us.cast("int64").quantile([0.5, 0.75], where=won),
    )


def first_contact(progress: ir.Table, scope: Scope) -> ir.Table:
    """Cohort deals, those contacted, and the median and p90 of the stored working seconds
    (over the integers: twice as fast as over hours)."""
    c = deal_filter(progress, scope)
    return c.aggregate(total=c.count(), contacted=c.first_contact_work_s.count(),
                       work_s=c.first_contact_work_s.quantile([0.5, 0.9]))


def stays(stays_table: ir.Table, scope: Scope) -> ir.Table:
    """Per stage left: the median microseconds of the cohort's ended stays and their number."""
    s = deal_filter(stays_table, scope)
    return s.group_by("stage_id").aggregate(median_us=s.stay_us.median(), stays=s.count())


def repeat(progress: ir.Table, scope: Scope) -> ir.Table:
    """The period's buyers (contacts with a deal won in it) and those with two wins or more."""
    t = deal_filter(progress, undated(scope))
    t = t.filter(t.outcome == "won", in_period(t.closed_at, scope), t.contact_id.notnull())
    # Whether a buyer has two wins is a property of the contact, precomputed at load time:
    # with an end, two won deals closed before it; without, two won deals at all.
    again = (t.contact_second_win_at < scope.end_utc if scope.end_utc is not None
             else t.contact_wins >= 2)
    buyers = t.select(buyer=t.contact_id, repeat=again).distinct()
    return buyers.aggregate(buyers=buyers.count(), repeat=buyers.count(where=buyers.repeat))


ALL_TIME_SCOPE = Scope(Filters(), "UTC", "", None, None, None, None, None, (), ())
"""No period and no filter: every deal not deleted (the zone and currency play no part)."""


def _part_queries(progress: ir.Table, stays_table: ir.Table, closes: ir.Table
                  ) -> dict[str, Callable[[Scope], ir.Table]]:
    """Each part's query for a scope, over ``deal_progress``, ``deal_stage_stays`` and
    ``closed_deals`` (as the report reads them: ``builds``)."""
    return {
        "cohort": lambda scope: cohort(progress, scope),
        "closed": lambda scope: closed(closes, scope),
        "first_contact": lambda scope: first_contact(progress, scope),
        "stays": lambda scope: stays(stays_table, scope),
        "repeat": lambda scope: repeat(progress, scope),
    }


def all_time_parts(progress: ir.Table, stays_table: ir.Table, closes: ir.Table
                   ) -> dict[str, ir.Table]:
    """Each stored all-time table's query, over ``deal_progress``, ``deal_stage_stays`` and
    ``closed_deals``."""
    return {ALL_TIME_TABLES[part]: query(ALL_TIME_SCOPE)
            for part, query in _part_queries(progress, stays_table, closes).items()}


def month_parts(progress: ir.Table, stays_table: ir.Table, closes: ir.Table, months: list[Bounds]
                ) -> dict[str, ir.Table]:
    """Each stored per-month table's query: the report's own query for every month's scope (no
    filter but the month), its rows marked with the month's UTC bounds ``start_utc``, ``end_utc``.

    Without months (no deals) the tables are built empty, with their columns, from 1970-01."""
    months_or_one = months or [month_of(dt.date(1970, 1, 1)).utc_bounds("UTC")]
    parts = {}
    for part, query in _part_queries(progress, stays_table, closes).items():
        rows = [query(dataclasses.replace(ALL_TIME_SCOPE, start_utc=start, end_utc=end))
                .mutate(start_utc=ibis.literal(start, "timestamp"),
                        end_utc=ibis.literal(end, "timestamp"))
                for start, end in months_or_one]
        union = ibis.union(*rows) if len(rows) > 1 else rows[0]
        parts[MONTH_TABLES[part]] = union if months else union.limit(0)
    return parts


def stored_months(timezone: str, first: dt.datetime | None, last: dt.datetime | None,
                  limit: int = MONTHS_STORED) -> list[Bounds]:
    """UTC bounds of the account's local calendar months from ``first``'s to ``last``'s (naive UTC
    instants), the newest ``limit`` of them, oldest first."""
    if first is None or last is None:
        return []
    zone = ZoneInfo(timezone)
    oldest, newest = (moment.replace(tzinfo=dt.UTC).astimezone(zone).date()
                      for moment in (first, last))
    months: list[Bounds] = []
    month = month_of(newest)
    while len(months) < limit and month.end > oldest:
        months.append(month.utc_bounds(timezone))
        month = month_of(month.start - dt.timedelta(days=1))
    return months[::-1]


def unfiltered(scope: Scope) -> bool:
    """Whether a scope asks for every deal of all time (what the stored tables hold)."""
    return (scope.start_utc is None and scope.end_utc is None and scope.pipeline_ids is None
            and scope.owner_ids is None and not scope.sources and not scope.tags)


def builds(wh: Warehouse, scope: Scope, with_first_contact: bool
           ) -> dict[str, Callable[[], ir.Table]]:
    """The report's parts as query builders over the warehouse's tables; ``first_contact`` only
    when the stored working seconds are current (else the report measures them itself)."""
    parts: dict[str, Callable[[], ir.Table]] = {
        "cohort": lambda: cohort(wh.table("deal_progress"), scope),
        # closed_deals (derived_open) holds the won and lost deals stored by closed_at: a period
        # of closings reads only its own row groups
        "closed": lambda: closed(wh.table("closed_deals"), scope),
        "stays": lambda: stays(wh.table("deal_stage_stays"), scope),
        "repeat": lambda: repeat(wh.table("closed_deals"), scope),
    }
    if with_first_contact:
        parts["first_contact"] = lambda: first_contact(wh.table("deal_progress"), scope)
    return parts


_SIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="salesscope-metrics")
"""The worker that runs a report's side part (``fetch``); its thread starts on first use."""

SIDE_PART = "stays"
"""The part run beside the others: the largest, exact medians over every ended stay."""


def fetch(wh: Warehouse, scope: Scope, parts: dict[str, Callable[[], ir.Table]]
          ) -> dict[str, pa.Table]:
    """Every part's result (part name -> its rows), each through ``run``.

    On DuckDB, a scope whose rows are not stored runs ``SIDE_PART`` on a second connection in a
    worker thread while this thread runs the other parts: each of those reads a row group or two
    of its table, which DuckDB scans on one core, so the other core was idle. Measured at a 30-day
    range of the large demo (2 cores): 16.5 -> 12.5 ms of queries. Running the parts as one
    statement (each a scalar subquery) measured no faster: the time is in the scans, not in the
    round trips.
    """
    if (wh.backend.name != "duckdb" or SIDE_PART not in parts or unfiltered(scope)
            or stored_month(wh, scope) is not None):
        return {part: run(wh, scope, part, build) for part, build in parts.items()}
    side_sql = compiled_sql(wh, (f"metrics {SIDE_PART}", scope_key(scope)), parts[SIDE_PART])
    with closing(wh.backend.con.cursor()) as cursor:  # sees what this thread's connection sees
        side = _SIDE.submit(run_compiled, cursor, side_sql)
        try:
            found = {part: run(wh, scope, part, build) for part, build in parts.items()
                     if part != SIDE_PART}
        finally:
            wait([side])  # the cursor closes only after its query
        found[SIDE_PART] = side.result()
    return found


def run(wh: Warehouse, scope: Scope, part: str, build: Callable[[], ir.Table]) -> pa.Table:
    """A part's result: the stored rows for an unfiltered scope of all time or of a stored month,
    else ``build()``'s."""
    if unfiltered(scope):
        name = ALL_TIME_TABLES[part]
        return compiled_arrow(wh, ("metrics all time", name), lambda: wh.table(name))
    month = stored_month(wh, scope)
    if month is not None:
        name = MONTH_TABLES[part]
        return compiled_arrow(wh, ("metrics month", name, month),
                              lambda: _month_rows(wh.table(name), month))
    key: Hashable = (f"metrics {part}", scope_key(scope))
    return compiled_arrow(wh, key, build)


def stored_month(wh: Warehouse, scope: Scope) -> Bounds | None:
    """The scope's month when its rows are stored: no filter but a period whose UTC bounds are
    exactly a stored month's (a changed account zone moves the bounds, so it never matches)."""
    if (scope.start_utc is None or scope.end_utc is None or scope.pipeline_ids is not None
            or scope.owner_ids is not None or scope.sources or scope.tags):
        return None
    bounds = (scope.start_utc, scope.end_utc)
    return bounds if bounds in per_catalog(wh, "metrics stored months", lambda: _months(wh)) else None


def _months(wh: Warehouse) -> frozenset[Bounds]:
    """The months stored: the closings table holds one row for each."""
    return frozenset((r["start_utc"], r["end_utc"])
                     for r in wh.rows(MONTH_TABLES["closed"], ["start_utc", "end_utc"]))


def _month_rows(table: ir.Table, month: Bounds) -> ir.Table:
    """A stored month's rows with the columns of the part's own query."""
    start, end = month
    return table.filter(table.start_utc == start, table.end_utc == end).drop("start_utc", "end_utc")
