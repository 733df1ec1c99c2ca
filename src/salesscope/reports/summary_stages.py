"""Open deals now per pipeline stage, every open stage listed even when empty.

Kommo's consolidated report hides a stage with no deals; an empty stage in the middle of a funnel
is itself a finding, so here every open stage of every shown pipeline has a row.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from salesscope.reports import drill
from salesscope.reports.activity_cache import compiled_arrow, scope_key
from salesscope.reports.drill import DealListOptions
from salesscope.reports.filters import Scope, deal_filter
from salesscope.reports.result import ColumnSpec
from salesscope.reports.summary_counts import undated
from salesscope.warehouse.store import Warehouse


def columns(currency: str) -> list[ColumnSpec]:
    return [
        ColumnSpec("pipeline", "Pipeline", "string", "The deal's current pipeline."),
        ColumnSpec("stage", "Stage", "string", "An open stage, in pipeline order; Total = every "
                   "open stage of the pipeline."),
        ColumnSpec("stage_order", "#", "integer", "Position of the stage among the open stages, "
                   "from 1; empty on Total rows."),
        ColumnSpec("row_kind", "Row", "string", "stage or total."),
        ColumnSpec("open_deals", "Open deals", "integer",
                   "Deals in this stage now (as of the data), non-deleted, of the managers and "
                   "filters asked for, whenever they were created: the period does not apply to "
                   "this snapshot. Empty stages are listed with 0."),
        ColumnSpec("open_amount", "Open amount", "money",
                   "Sum of the budgets of the deals counted in Open deals.", currency),
        ColumnSpec("share", "Share", "fraction",
                   "Open deals of this stage / open deals of the pipeline."),
        ColumnSpec("drill", "Drill", "string", "The `salesscope deals` query listing the deals "
                   "counted in Open deals."),
    ]


def stage_rows(wh: Warehouse, scope: Scope) -> list[dict[str, Any]]:
    """Rows per open stage of each pipeline asked for (else every pipeline), then a total."""
    stages = sorted((s for s in wh.catalog().stages if s["kind"] == "open"),
                    key=lambda s: (s["sort"], s["id"]))
    ids = tuple(int(s["id"]) for s in stages) or (-1,)

    def per_stage() -> ir.Table:
        t = deal_filter(wh.table("deals"), undated(scope))
        t = t.filter(t.stage_id.isin(ids))
        return t.group_by("stage_id").aggregate(deals=t.count(), amount=t.amount.sum())

    counted = {r["stage_id"]: (r["deals"], r["amount"] or Decimal(0)) for r in
               compiled_arrow(wh, ("summary stages", scope_key(scope), ids), per_stage).to_pylist()}
    base = replace(drill.scope_filters(scope), period=None, pipelines=())
    rows: list[dict[str, Any]] = []
    for pipeline_id in scope.pipeline_ids or tuple(scope.pipeline_names):
        mine = [s for s in stages if s["pipeline_id"] == pipeline_id]
        total = sum(counted.get(s["id"], (0, 0))[0] for s in mine)
        amount = sum((counted.get(s["id"], (0, Decimal(0)))[1] for s in mine), Decimal(0))
        in_pipeline = replace(base, pipelines=(str(pipeline_id),))
        name = scope.pipeline_names[pipeline_id]
        for order, stage in enumerate(mine, start=1):
            deals, money = counted.get(stage["id"], (0, Decimal(0)))
            rows.append(_row(name, stage["name"], order, "stage", deals, money, total,
                             drill.query(in_pipeline, DealListOptions(stage=str(stage["id"])))))
        rows.append(_row(name, "Total", None, "total", total, amount, total,
                         drill.query(in_pipeline, DealListOptions(status="open"))))
    return rows


def _row(pipeline: str, stage: str, order: int | None, kind: str, deals: int, amount: Decimal,
         total: int, query: str) -> dict[str, Any]:
    return {"pipeline": pipeline, "stage": stage, "stage_order": order, "row_kind": kind,
            "open_deals": deals, "open_amount": float(amount),
            "share": deals / total if total else None, "drill": query}
