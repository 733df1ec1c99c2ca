"""The metrics report for all time and no filter, materialised at load time.

Unfiltered, the metrics report aggregates every deal (cohort, closings, first contact, buyers)
and every ended stay (3.2M at the large demo) with exact percentiles: ~200 ms against a 6 ms scan
floor. Its queries (``reports.metrics_queries``) are run once per rebuild over the whole account
and their few rows stored; a report whose scope has any period or filter runs the same queries
itself. The first-contact row uses ``deal_progress.first_contact_work_s``, so it holds only while
``deal_progress_basis`` is current — exactly when the report reads the stored seconds at all.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from salesscope.warehouse import derived_columns
from salesscope.warehouse.engines import Engine

ALL_TIME_TABLES = {part: f"metrics_all_{part}"
                   for part in ("cohort", "closed", "first_contact", "stays", "repeat")}
"""Report part -> the table holding its all-time rows."""

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


def refresh(engine: Engine, progress: ir.Table, stays: ir.Table) -> None:
    """Rebuild the tables from ``progress`` and ``stays``: unbound tables named like the derived
    ones with their schemas, so the SQL runs on the engine's connection (the load's transaction)
    after they are rebuilt, and no other connection waits on their locks."""
    from salesscope.reports.metrics_queries import all_time_parts  # reports import the store

    dialect = "postgres" if engine.name == "postgres" else "duckdb"
    for name, expr in all_time_parts(progress, stays).items():
        engine.execute(f"DROP TABLE IF EXISTS {name}")
        engine.execute(f"CREATE TABLE {name} AS {ibis.to_sql(expr, dialect=dialect)}")


def current(engine: Engine) -> bool:
    """Whether the tables exist with the columns this version builds."""
    return derived_columns.have_columns(engine, ALL_TIME_COLUMNS)
