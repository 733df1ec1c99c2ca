"""The metrics report for all time and for each recent calendar month, materialised at load time.

Unfiltered, the metrics report aggregates every deal (cohort, closings, first contact, buyers)
and every ended stay (3.2M at the large demo) with exact percentiles: ~200 ms against a 6 ms scan
floor; for a month, five queries with exact percentiles over its 73k deals and 240k stays take
12-16 ms, two to three times the floor. A calendar month without other filters is the view a
head of sales reviews most (month on month, against the month's goals), so its queries
(``reports.metrics_queries``) are run once per rebuild — over the whole account and over each of
the newest ``MONTHS_STORED`` local months — and their few rows stored; a report whose scope has
any other period or any filter runs the same queries itself. The first-contact rows use
``deal_progress.first_contact_work_s``, so they hold only while ``deal_progress_basis`` is
current — exactly when the report reads the stored seconds at all.
"""

from __future__ import annotations

import datetime as dt
import functools

import ibis
import ibis.expr.schema as sch
import ibis.expr.types as ir

from salesscope.warehouse import derived_columns
from salesscope.warehouse.engines import Engine

ALL_TIME_TABLES = {part: f"metrics_all_{part}"
                   for part in ("cohort", "closed", "first_contact", "stays", "repeat")}
"""Report part -> the table holding its all-time rows."""

MONTH_TABLES = {part: f"metrics_month_{part}" for part in ALL_TIME_TABLES}
"""Report part -> the table holding its rows for each stored month."""

MONTHS_STORED = 24
"""Local calendar months stored: the newest 24 with deals (two years of month-on-month views)."""

Bounds = tuple[dt.datetime, dt.datetime]
"""A month as naive UTC instants ``[start, end)``: its local midnights in the account zone."""

# Every column of each table in order; a warehouse whose table differs is rebuilt on open.
ALL_TIME_COLUMNS = {
    ALL_TIME_TABLES["cohort"]: {
        "pipeline_id": "deal_progress.pipeline_id.",
        "max_open_sort": "deal_progress.max_open_sort: how far the deals went.",
        "outcome": "deal_progress.outcome: open, won or lost.",
        "channel": "deal_progress.channel: the deals' own channel.",
        "deals": "Deals not deleted with these four values.",
    },
    ALL_TIME_TABLES["closed"]: {
        "won": "Deals not deleted, won, with a closed_at.",
        "lost": "Deals not deleted, lost, with a closed_at.",
        "won_amount": "Sum of the won deals' amount.",
        "cycle_us": "Continuous 50th and 75th percentiles of the won deals' microseconds from "
        "created_at to closed_at (a list of two).",
    },
    ALL_TIME_TABLES["first_contact"]: {
        "total": "Deals not deleted.",
        "contacted": "Of those, deals with a first contact.",
        "work_s": "Continuous 50th and 90th percentiles of first_contact_work_s over the "
        "contacted deals (a list of two).",
    },
    ALL_TIME_TABLES["stays"]: {
        "stage_id": "A stage left (deal_stage_stays.stage_id).",
        "median_us": "Median microseconds of the ended stays in it of deals not deleted.",
        "stays": "Number of those stays.",
    },
    ALL_TIME_TABLES["repeat"]: {
        "buyers": "Contacts with a won, dated deal not deleted.",
        "repeat": "Of those, contacts with two won deals or more (deal_progress.contact_wins).",
    },
}
_BOUNDS = {
    "start_utc": "The month's first local midnight in the account zone, as naive UTC.",
    "end_utc": "The next month's first local midnight, as naive UTC (exclusive).",
}
# Per month the same columns (deals created in the month for the cohort, first contact and stays;
# closed in it for closings and buyers; a buyer repeats with a second win before its end), then
# the month's bounds; the closings table has exactly one row per month stored.
MONTH_COLUMNS = {MONTH_TABLES[part]: {**ALL_TIME_COLUMNS[name], **_BOUNDS}
                 for part, name in ALL_TIME_TABLES.items()}


def refresh(engine: Engine, progress: ir.Table, stays: ir.Table, closes: ir.Table) -> None:
    """Rebuild the tables from ``progress``, ``stays`` and ``closes`` (``closed_deals``: a month's
    closings read only its own row groups, or BRIN ranges on PostgreSQL): unbound tables named like
    the derived ones with their schemas, so the SQL runs on the engine's connection (the load's
    transaction) after they are rebuilt, and no other connection waits on their locks."""
    from salesscope.reports.metrics_queries import stored_months  # reports import the store

    dialect = "postgres" if engine.name == "postgres" else "duckdb"
    months = stored_months(_zone(engine), *_moments(engine, progress.get_name()))
    tables = tuple((t.get_name(), t.schema()) for t in (progress, stays, closes))
    for name, sql in _statements(dialect, tables, tuple(months)):
        engine.execute(f"DROP TABLE IF EXISTS {name}")
        engine.execute(f"CREATE TABLE {name} AS {sql}")


@functools.lru_cache(maxsize=8)
def _statements(dialect: str, tables: tuple[tuple[str, sch.Schema], ...],
                months: tuple[Bounds, ...]) -> tuple[tuple[str, str], ...]:
    """Each table's name and SELECT, kept for the next rebuild with the same months and columns:
    Ibis compiles a month's five queries in ~30 ms (0.5-0.7 s for 15-24 months), more than
    DuckDB needs to run them over a million deals, and a sync rebuilds after every run. (Keyed by
    the tables' names and schemas: Ibis tables compare with ``==`` as expressions, so they cannot
    be cache keys.)"""
    from salesscope.reports.metrics_queries import all_time_parts, month_parts

    progress, stays, closes = (ibis.table(schema, name) for name, schema in tables)
    parts = {**all_time_parts(progress, stays, closes),
             **month_parts(progress, stays, closes, list(months))}
    return tuple((name, ibis.to_sql(expr, dialect=dialect)) for name, expr in parts.items())


def _zone(engine: Engine) -> str:
    """The account zone the months are cut in (UTC before any account is stored)."""
    zones = engine.query('SELECT "timezone" FROM account')
    return str(zones[0][0]) if zones and zones[0][0] else "UTC"


def _moments(engine: Engine, progress: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first creation and the last creation or closing of any deal (naive UTC)."""
    (first, last), = engine.query(
        f"SELECT min(created_at), max(coalesce(closed_at, created_at)) FROM {progress}")
    return first, last


def current(engine: Engine) -> bool:
    """Whether the tables exist with the columns this version builds."""
    return derived_columns.have_columns(engine, {**ALL_TIME_COLUMNS, **MONTH_COLUMNS})
