"""A derived table of the funnel's all-time cohort, already collapsed per manager and progress.

The funnel counts deals per (pipeline, owner, how far each deal got): a group-by of every deal on
five keys, one of them a string. At 1M deals that costs 3-4x the scan floor (count and sum by
owner) by itself, however the rest is done: ~20 ms for the 15k groups of 486 managers, before a
row is laid out. Without a period, source or tag filter the cohort is every deal not deleted,
which only a load changes; so its collapsed form is materialised here, rebuilt after every load
with the other derived tables (``derived.refresh``), and the funnel filters it by pipeline and
owner (a team or a manager) instead of grouping a million rows.

- ``funnel_progress``: ``deal_progress`` rows with ``NOT deleted``, counted per
  (pipeline_id, owner_id, max_open_sort, outcome, last_open_stage_id).

A period, a source or a tag filter needs the deals themselves; the funnel then groups
``deal_progress`` as before (``reports.funnel_manager_counts.collapsed_cohort``).
"""

from __future__ import annotations

from salesscope.warehouse import derived_columns
from salesscope.warehouse.engines import Engine

FUNNEL_PROGRESS = "funnel_progress"

# Every column in order; a warehouse whose table differs is rebuilt on open.
FUNNEL_PROGRESS_COLUMNS = {
    "pipeline_id": "deal_progress.pipeline_id: the deals' current pipeline.",
    "owner_id": "deal_progress.owner_id: the deals' current owner (NULL: no owner).",
    "max_open_sort": "deal_progress.max_open_sort of the deals counted.",
    "outcome": "deal_progress.outcome of the deals counted: open, won or lost.",
    "last_open_stage_id": "deal_progress.last_open_stage_id of the deals counted.",
    "deals": "How many deals, not deleted, of any creation date, have these five values.",
    "amount": "Sum of their budgets (deals.amount), DECIMAL(38,2) on every engine: exact.",
}

_KEYS = "pipeline_id, owner_id, max_open_sort, outcome, last_open_stage_id"
_STATEMENT = (
    f"CREATE TABLE {FUNNEL_PROGRESS} AS SELECT {_KEYS}, COUNT(*) AS deals, "
    "CAST(SUM(amount) AS DECIMAL(38, 2)) AS amount FROM deal_progress WHERE NOT deleted "
    f"GROUP BY {_KEYS} ORDER BY {_KEYS}"
)


def refresh(engine: Engine) -> None:
    """Rebuild the table from ``deal_progress`` (built first), on the caller's transaction."""
    engine.execute(f"DROP TABLE IF EXISTS {FUNNEL_PROGRESS}")
    engine.execute(_STATEMENT)


def current(engine: Engine) -> bool:
    """Whether the table exists with the columns this version builds."""
    return derived_columns.have_columns(engine, {FUNNEL_PROGRESS: FUNNEL_PROGRESS_COLUMNS})
