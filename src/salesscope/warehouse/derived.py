"""Derived tables, materialised at load time so reports stay within a few scans of the data.

``deal_progress`` holds, per deal, how far it went in its current pipeline, next to the deal
columns every report filters on — so a funnel is one scan of one table, not a join of two
million-row tables (measured: 26 ms joined vs ~8 ms on this table at 1M deals). Rows are stored in
``created_at`` order so a period filter skips whole row groups. It is rebuilt from ``deals``,
``deal_stage_changes`` and ``stages`` after every load (demo build, sync, import), so it is never
edited by hand and never out of date with what it is derived from.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from salesscope.warehouse import derived_activity
from salesscope.warehouse.engines import Engine

DEAL_PROGRESS = "deal_progress"

# Copied from ``deals`` unchanged, so ``reports.filters.deal_filter`` applies to both tables.
DEAL_FILTER_COLUMNS = ("pipeline_id", "owner_id", "created_at", "closed_at", "amount", "source",
                       "utm_source", "tags", "deleted")

# Every column of deal_progress in order; a warehouse whose table differs is rebuilt on open.
DEAL_PROGRESS_COLUMNS = {
    "deal_id": "The deal (deals.id).",
    **{name: f"deals.{name}, copied so reports filter without a join." for name in DEAL_FILTER_COLUMNS},
    "max_open_sort": "Highest `stages.sort` of an open stage the deal was ever in, counting its "
    "first stage; at least the pipeline's first open stage (every deal starts as a lead).",
    "last_open_stage_id": "The open stage the deal was in last (for a lost deal: where it was "
    "lost); the pipeline's first open stage when it never was in one.",
    "outcome": "open, won or lost, from the kind of the current stage.",
}


def deal_progress(backend: BaseBackend) -> ir.Table:
    """How far each deal went in its current pipeline, as an Ibis expression.

    A deal's first stage is the one it was created in: the ``from_stage_id`` of its earliest
    change, or its current stage when it never moved. Stages of other pipelines (a deal moved
    between pipelines) do not count towards progress in the current one.
    """
    deals = backend.table("deals")
    changes = backend.table("deal_stage_changes")
    stages = backend.table("stages")

    ordered = changes.mutate(
        rn=ibis.row_number().over(group_by=changes.deal_id, order_by=[changes.at, changes.id])
    )
    first_change = ordered.filter(ordered.rn == 0).select(
        deal_id=ordered.deal_id, first_from=ordered.from_stage_id
    )
    first = deals.left_join(first_change, deals.id == first_change.deal_id).select(
        deal_id=deals.id,
        stage_id=ibis.coalesce(first_change.first_from, deals.stage_id),
        at=deals.created_at,
        seq=ibis.literal(-1, "int64"),
    )
    moves = changes.select(
        deal_id=changes.deal_id, stage_id=changes.to_stage_id, at=changes.at, seq=changes.id
    )
    current = deals.select(
        deal_id=deals.id, stage_id=deals.stage_id, at=deals.updated_at.fill_null(deals.created_at),
        seq=ibis.literal(-2, "int64"),
    )
    visits = _nullable(first).union(_nullable(moves)).union(_nullable(current))

    deal_pipe = deals.select(deal_id=deals.id, pipeline_id=deals.pipeline_id, cur_stage=deals.stage_id)
    open_stages = stages.filter(stages.kind == "open")
    v = visits.join(deal_pipe, "deal_id").join(
        open_stages,
        [visits.stage_id == open_stages.id, deal_pipe.pipeline_id == open_stages.pipeline_id],
    )
    v = v.select(v.deal_id, v.stage_id, v.at, v.seq, sort=v.sort)
    last_rank = v.mutate(
        rk=ibis.row_number().over(group_by=v.deal_id, order_by=[ibis.desc(v.at), ibis.desc(v.seq)])
    )
    per_deal = (
        v.group_by("deal_id").aggregate(max_open_sort=v.sort.max())
        .join(last_rank.filter(last_rank.rk == 0).select("deal_id", last_open_stage_id="stage_id"),
              "deal_id")
    )

    first_open = open_stages.mutate(
        rk=ibis.row_number().over(group_by=open_stages.pipeline_id, order_by=open_stages.sort)
    )
    first_open = first_open.filter(first_open.rk == 0).select(
        pipeline_id=first_open.pipeline_id, first_sort=first_open.sort, first_id=first_open.id
    )
    kinds = stages.select(cur_stage=stages.id, outcome=stages.kind)

    out = (
        deal_pipe.left_join(per_deal, "deal_id")
        .left_join(first_open, "pipeline_id")
        .left_join(kinds, "cur_stage")
    )
    progress = out.select(
        deal_id=out.deal_id,
        max_open_sort=ibis.coalesce(out.max_open_sort, out.first_sort).cast("int32"),
        last_open_stage_id=ibis.coalesce(out.last_open_stage_id, out.first_id),
        outcome=out.outcome.fill_null("open"),
    )
    wide = deals.select("id", *DEAL_FILTER_COLUMNS).join(progress, deals.id == progress.deal_id)
    return wide.select(*DEAL_PROGRESS_COLUMNS).order_by("created_at")


def _nullable(t: ir.Table) -> ir.Table:
    """Cast every column to its nullable type: set operations need identical schemas."""
    return t.cast({name: dtype.copy(nullable=True) for name, dtype in t.schema().items()})


def refresh(engine: Engine, backend: BaseBackend) -> None:
    """Rebuild every derived table from the canonical tables.

    Runs as SQL on the engine's own connection, so that inside ``Warehouse.replace`` the rebuild
    shares the load's transaction: readers never see new deals with old progress.
    """
    select = str(ibis.to_sql(deal_progress(backend)))
    engine.execute(f"DROP TABLE IF EXISTS {DEAL_PROGRESS}")
    engine.execute(f"CREATE TABLE {DEAL_PROGRESS} AS {select}")
    derived_activity.refresh(engine)
