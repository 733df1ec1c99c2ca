"""The funnel's counting: reached and lost per stage per segment, in one Ibis query.

The cohort is read from the materialised ``deal_progress`` in one Ibis aggregation (one scan of
one table) collapsed to (pipeline, segment, how far each deal got); that small Arrow table is then
spread over the stages with vectorised masks. Doing the spreading in the engine as a join cost
more in Ibis compilation (~8 ms) than the scan itself; ratios and averages are left to Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.reports.activity_cache import compiled_arrow, scope_key
from salesscope.reports.filters import Scope, deal_filter
from salesscope.warehouse.derived_funnel import FUNNEL_PROGRESS
from salesscope.warehouse.store import Warehouse

SEGMENT_COLUMN = {"manager": "owner_id", "team": "owner_id", "source": "source"}


@dataclass(frozen=True)
class Counts:
    """Deals that reached a stage and deals lost at it, with their budgets."""

    reached: int = 0
    reached_amount: Decimal = Decimal(0)
    lost: int = 0
    lost_amount: Decimal = Decimal(0)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.reached + other.reached, self.reached_amount + other.reached_amount,
                      self.lost + other.lost, self.lost_amount + other.lost_amount)


@dataclass(frozen=True)
class Stage:
    id: int
    name: str
    kind: str
    sort: int


# (pipeline id, segment value) -> stage id -> counts; the segment is None without a grouping.
StageCounts = dict[int, Counts]
CohortCounts = dict[tuple[int, Any], StageCounts]


def stages_by_pipeline(wh: Warehouse) -> dict[int, list[Stage]]:
    """Open stages in order, then the won stage, per pipeline."""
    out: dict[int, list[Stage]] = defaultdict(list)
    rows = wh.catalog().stages
    for r in sorted(rows, key=lambda r: (r["kind"] == "won", r["sort"], r["id"])):
        if r["kind"] in ("open", "won"):
            out[int(r["pipeline_id"])].append(Stage(int(r["id"]), r["name"], r["kind"], r["sort"]))
    return out


def cohort_counts(wh: Warehouse, scope: Scope, by: str | None) -> CohortCounts:
    """Reached and lost per pipeline, segment and stage for the scope's cohort.

    A deal reached a stage when it is won, or when the furthest open stage it was ever in is this
    one or later (so skipped stages count); it was lost at the open stage it was in last.
    """
    segment = SEGMENT_COLUMN.get(by or "")
    keys = ["pipeline_id", "max_open_sort", "outcome", "last_open_stage_id",
            *([segment] if segment else [])]

    def build() -> ir.Table:
        cohort = deal_filter(wh.table("deal_progress"), scope)
        return cohort.group_by(keys).aggregate(deals=cohort.count(), amount=cohort.amount.sum())

    def build_all_time() -> ir.Table:
        # Every deal not deleted, already collapsed per owner at load time: re-grouping its
        # ~15k rows costs ~1 ms against ~15 ms for grouping the million deals.
        cells = wh.table(FUNNEL_PROGRESS)
        if scope.pipeline_ids is not None:
            cells = cells.filter(cells.pipeline_id.isin(scope.pipeline_ids))
        if scope.owner_ids is not None:
            cells = cells.filter(cells.owner_id.isin(scope.owner_ids))
        return cells.group_by(keys).aggregate(deals=cells.deals.sum(), amount=cells.amount.sum())

    if (scope.start_utc is None and scope.end_utc is None and not scope.sources
            and not scope.tags and segment != "source"):
        progress = compiled_arrow(wh, ("funnel:all_time", segment, scope_key(scope)),
                                  build_all_time)
    else:
        progress = compiled_arrow(wh, ("funnel", segment, scope_key(scope)), build)
    return _per_stage(progress, stages_by_pipeline(wh), segment)


def _per_stage(progress: pa.Table, stages: dict[int, list[Stage]], segment: str | None) -> CohortCounts:
    """Spread the collapsed cohort over each pipeline's stages, with vectorised Arrow masks.

    ``progress`` has one row per distinct (pipeline, segment, progress): a few hundred rows for a
    team or a source, never one per deal (``--by manager`` counts in ``funnel_manager_counts``).
    """
    won = pc.equal(progress["outcome"], "won")
    lost = pc.equal(progress["outcome"], "lost")
    acc: dict[tuple[int, Any], dict[int, list[Any]]] = defaultdict(dict)
    for pipeline_id, pipe_stages in stages.items():
        in_pipe = pc.equal(progress["pipeline_id"], pipeline_id)
        for stage in pipe_stages:
            reached = won
            if stage.kind == "open":
                reached = pc.or_(won, pc.greater_equal(progress["max_open_sort"], stage.sort))
            lost_here = pc.and_(lost, pc.equal(progress["last_open_stage_id"], stage.id))
            for slot, mask in ((0, pc.and_(in_pipe, reached)), (2, pc.and_(in_pipe, lost_here))):
                for key, deals, amount in _sums(progress.filter(mask), segment):
                    cell = acc[(pipeline_id, key)].setdefault(stage.id, [0, Decimal(0), 0, Decimal(0)])
                    cell[slot] += deals
                    cell[slot + 1] += amount
    return {
        key: {stage_id: Counts(c[0], c[1], c[2], c[3]) for stage_id, c in per_stage.items()}
        for key, per_stage in acc.items()
    }


def _sums(rows: pa.Table, segment: str | None) -> list[tuple[Any, int, Decimal]]:
    """Deals and amount summed per segment value (one total without a segment)."""
    if rows.num_rows == 0:
        return []
    if segment is None:
        return [(None, pc.sum(rows["deals"]).as_py(), pc.sum(rows["amount"]).as_py() or Decimal(0))]
    summed = rows.group_by(segment, use_threads=False).aggregate(
        [("deals", "sum"), ("amount", "sum")]
    )
    return list(zip(summed[segment].to_pylist(), summed["deals_sum"].to_pylist(),
                    [a or Decimal(0) for a in summed["amount_sum"].to_pylist()], strict=True))


def total(parts: Iterable[StageCounts]) -> StageCounts:
    """Several segments' counts added stage by stage."""
    out: dict[int, Counts] = defaultdict(Counts)
    for part in parts:
        for stage_id, counts in part.items():
            out[stage_id] = out[stage_id] + counts
    return dict(out)
