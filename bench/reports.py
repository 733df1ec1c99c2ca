"""Benchmark: every report against the DuckDB scan floor on the large demo (not a test).

The floor is what DuckDB needs just to read the same rows: ``count(*)`` and ``sum(amount)``
grouped by owner over the report's cohort. The goal for every report is <= 3x the floor and
<= 0.5 s at ~1M deals / ~10M activities on 2 cores. Timings are the median of 5 runs after one
warm-up, in one process, on one warm DuckDB connection.

    python bench/reports.py [--db PATH] [--rebuild] [--runs 5] [--only REPORT ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from salesscope.reports import registry
from salesscope.reports.filters import Filters, deal_filter, resolve
from salesscope.reports.period import Period, last_full_month
from salesscope.warehouse.store import Warehouse

TODAY = dt.date(2026, 6, 15)
DEFAULT_DB = Path(__file__).parent / ".cache" / "large-seed7-2026-06-15.duckdb"
GOAL_RATIO = 3.0
GOAL_SECONDS = 0.5


@dataclass(frozen=True)
class Case:
    """One report run to time, with the filters that define its cohort."""

    report: str
    label: str
    filters: Filters
    floor: str = "deals"
    """The canonical table the floor scans: deals, or activities/calls for activity reports."""


def cases() -> list[Case]:
    month = last_full_month(TODAY)
    return [
        Case("funnel", "all time", Filters()),
        Case("funnel", f"period {month.label}", Filters(period=month)),
        Case("funnel", "all time, --by manager", Filters(by="manager")),
        Case("funnel", f"{month.label}, Sales, --by manager",
             Filters(period=month, pipelines=("Sales",), by="manager")),
        Case("funnel", f"{month.label}, one team, --by manager",
             Filters(period=month, teams=("Команда Олени",), by="manager")),
        Case("employees", f"{month.label}", Filters(period=month), "activities"),
        Case("employees", f"{month.label}, one team, --by day",
             Filters(period=month, teams=("Команда Олени",), by="day"), "activities"),
        Case("events", f"{month.label}, one manager", Filters(period=month, managers=("Serhiy",)),
             "activities"),
        Case("events", "all time, --limit 100", Filters(options=(("limit", 100),)), "activities"),
        Case("worktime", f"{month.label}, one manager", Filters(period=month, managers=("Serhiy",)),
             "activities"),
        Case("worktime", f"{month.label}, one team", Filters(period=month, teams=("Команда Олени",)),
             "activities"),
        Case("calls", f"{month.label}", Filters(period=month), "calls"),
        Case("calls", f"{month.label}, --by hour", Filters(period=month, by="hour"), "calls"),
        Case("calls", f"{month.label}, one manager, --list",
             Filters(period=month, managers=("Serhiy",), options=(("list", True),)), "calls"),
        Case("summary", "all time", Filters()),
        Case("summary", f"{month.label}", Filters(period=month)),
        Case("summary", f"{month.label}, --by team", Filters(period=month, by="team")),
        Case("summary", "--by stage", Filters(by="stage")),
        Case("summary", "2025-10..2026-05, --by week",
             Filters(period=Period.between("2025-10-01", "2026-05-31"), by="week")),
        Case("summary", f"{month.label}, one team, --by week",
             Filters(period=month, teams=("Команда Олени",), by="week")),
        Case("goals", f"{month.label}", Filters(period=month)),
        Case("goals", "all time", Filters()),
        Case("metrics", f"{month.label}", Filters(period=month)),
        # not a calendar month: the queries run (a month's rows are stored at load time)
        Case("metrics", "30 days 04-16..05-15", Filters(period=Period.between("2026-04-16", "2026-05-15"))),
        Case("metrics", f"{month.label}, one team", Filters(period=month, teams=("Команда Олени",))),
        Case("metrics", "all time", Filters()),
    ]


def median_seconds(run: Callable[[], object], runs: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# Activity tables: (time column, person column, summed column; activities have no number, so the
# floor sums deal_id to read one column besides the keys, as the reports do).
FLOOR_TABLES = {"activities": ("at", "author_id", "deal_id"), "calls": ("at", "author_id", "duration_s")}


def floor_query(wh: Warehouse, filters: Filters, table: str = "deals") -> Callable[[], object]:
    """The scan floor for a cohort: count and sum of amount by owner over the same deals (or, for
    an activity report, count and sum by author over the period's rows of ``table``)."""
    scope = resolve(wh, replace(filters, by=None), ("manager", "team", "source", "pipeline"))
    if table in FLOOR_TABLES:
        at, person, summed = FLOOR_TABLES[table]
        t = wh.table(table)
        if scope.start_utc is not None and scope.end_utc is not None:
            t = t.filter(t[at] >= scope.start_utc, t[at] < scope.end_utc)
        if scope.owner_ids is not None:
            t = t.filter(t[person].isin(scope.owner_ids))
        rows = t.group_by(person).aggregate(n=t.count(), total=t[summed].sum())
        return lambda: rows.to_pyarrow()
    deals = deal_filter(wh.table("deals"), scope.without_managers())
    expr = deals.group_by("owner_id").aggregate(n=deals.count(), amount=deals.amount.sum())
    return lambda: expr.to_pyarrow()


def ensure_large_demo(path: Path, rebuild: bool) -> None:
    if path.exists() and not rebuild:
        return
    from salesscope.demo import build_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    start = time.perf_counter()
    with Warehouse.open(path) as wh:
        summary = build_demo(wh, seed=7, today=TODAY, scale="large")
    print(f"built the large demo in {time.perf_counter() - start:.0f} s: "
          f"{summary.counts['deals']:,} deals, {summary.counts['activities']:,} activities",
          file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rebuild", action="store_true", help="build the large demo again")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", action="append", default=[], metavar="REPORT",
                        help="time only this report's cases (repeatable)")
    args = parser.parse_args()
    ensure_large_demo(args.db, args.rebuild)

    console = Console()
    table = Table(title=f"Reports vs the DuckDB scan floor (median of {args.runs}, "
                        f"{os.cpu_count()} cores)")
    for header in ("report", "case", "rows", "report s", "floor s", "ratio", "goal"):
        table.add_column(header, justify="left" if header in ("report", "case") else "right")
    all_met = True
    with Warehouse.open(args.db, read_only=True) as wh:
        counts = wh.counts()
        console.print(f"{counts['deals']:,} deals, {counts['activities']:,} activities, "
                      f"{counts['deal_stage_changes']:,} stage changes")
        for case in cases():
            if args.only and case.report not in args.only:
                continue
            spec = registry.get(case.report)
            seconds = median_seconds(lambda c=case, s=spec: s.run(wh, c.filters), args.runs)
            floor = median_seconds(floor_query(wh, case.filters, case.floor), args.runs)
            ratio = seconds / floor if floor else float("inf")
            met = ratio <= GOAL_RATIO and seconds <= GOAL_SECONDS
            all_met &= met
            rows = len(spec.run(wh, case.filters).rows)
            table.add_row(case.report, case.label, f"{rows:,}", f"{seconds:.3f}", f"{floor:.3f}",
                          f"{ratio:.1f}x", "met" if met else "MISSED")
    console.print(table)
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
