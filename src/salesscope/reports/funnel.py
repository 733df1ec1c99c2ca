"""Sales analysis: the stage funnel of the deals created in a period, followed to today.

The counting is one Ibis query (``funnel_counts``; for ``--by manager``, ``funnel_manager_counts``
into numpy matrices, all time read from the materialised ``funnel_progress``); this module lays the
counts out as rows per pipeline, stage and segment, with conversions and averages. Kommo's own report credits a deal to
its current owner, and so do we.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.reports import activity_result, drill
from salesscope.reports.drill import DealListOptions
from salesscope.reports.filters import Filters, Scope, resolve
from salesscope.reports.funnel_counts import (
    CohortCounts,
    Counts,
    Stage,
    StageCounts,
    cohort_counts,
    stages_by_pipeline,
    total,
)
from salesscope.reports.funnel_manager_counts import (
    Cohort,
    Matrix,
    OwnerMatrix,
    collapsed_cohort,
    owner_matrix,
    pipeline_ids,
)
from salesscope.reports.result import ColumnSpec, ReportResult, arrow_type
from salesscope.reports.spec import ReportSpec
from salesscope.warehouse.store import Warehouse

NAME = "funnel"
TITLE = "Sales analysis: stage funnel"
SUMMARY = ("Deals created in the period, followed to today: how many reached each stage, the "
           "conversion between stages, and how many were lost at each stage and for how much.")

COMPANY_AVERAGE = "Company average"

_MANAGER_COLUMNS = (
    ColumnSpec("manager", "Manager", "string", "The deal's current owner (full CRM name); for "
               "average rows, which managers are averaged."),
    ColumnSpec("manager_id", "Manager id", "integer", "CRM id of the owner; empty on average rows."),
    ColumnSpec("team", "Team", "string", "The owner's team."),
    ColumnSpec("row_kind", "Row", "string", "manager, team_average or company_average."),
)


_SEGMENT_COLUMNS = {
    "team": ColumnSpec("team", "Team", "string", "The current owner's team; All = every team "
                       "together."),
    "source": ColumnSpec("source", "Source", "string", "The deal's lead source in the CRM; (none) "
                         "when it has none; All = every source together."),
}
_ROW_KIND = ColumnSpec("row_kind", "Row", "string", "team or source for a segment, total for All.")


def _columns(by: str | None, currency: str) -> list[ColumnSpec]:
    by_manager = by == "manager"
    count_type = "number" if by_manager else "integer"
    avg_note = (" On average rows: the mean per manager with at least one deal in the cohort."
                if by_manager else "")
    cols = [ColumnSpec("pipeline", "Pipeline", "string", "The deal's current pipeline.")]
    if by_manager:
        cols += _MANAGER_COLUMNS
    elif by is not None:
        cols += [_SEGMENT_COLUMNS[by], _ROW_KIND]
    cols += [
        ColumnSpec("stage", "Stage", "string", "An open stage of the pipeline, in order, then the "
                   "won stage."),
        ColumnSpec("stage_kind", "Kind", "string", "open or won."),
        ColumnSpec("stage_order", "#", "integer", "Position of the stage in the funnel, from 1."),
        ColumnSpec("reached", "Reached", count_type,  # type: ignore[arg-type]
                   "Deals of the cohort that were ever in this stage or any later open stage "
                   "(skipped stages count as reached); won deals reached every stage. The first "
                   "stage counts every deal of the cohort." + avg_note),
        ColumnSpec("reached_amount", "Reached, amount", "money",
                   "Sum of the budgets of the deals counted in Reached." + avg_note, currency),
        ColumnSpec("conversion_from_previous", "Conv. from previous", "fraction",
                   "Reached at this stage / reached at the previous stage (empty for the first "
                   "stage). On average rows: pooled over the managers, not a mean of rates."),
        ColumnSpec("conversion_from_first", "Conv. from first", "fraction",
                   "Reached at this stage / deals of the cohort. On the won row: the "
                   "lead-to-payment conversion."),
        ColumnSpec("lost", "Lost", count_type,  # type: ignore[arg-type]
                   "Deals now lost whose last open stage before the loss was this one." + avg_note),
        ColumnSpec("lost_amount", "Lost, amount", "money",
                   "Sum of the budgets of the deals counted in Lost: the money lost at this stage."
                   + avg_note, currency),
        ColumnSpec("drill", "Drill", "string", "The `salesscope deals` query listing the deals "
                   "counted in Reached (for Lost: lost_at=1 instead of reached=1). On average "
                   "rows: every deal of the managers averaged."),
    ]
    return cols


def funnel(wh: Warehouse, filters: Filters) -> ReportResult:
    """The funnel report; with ``by``, one funnel per manager, team or source, plus a reference."""
    scope = resolve(wh, filters, SPEC.groupings)
    by = None if filters.by == "pipeline" else filters.by
    if by == "manager":
        return _manager_funnel(wh, filters, scope)
    counts = cohort_counts(wh, scope, by)
    stages = stages_by_pipeline(wh)
    rows: list[dict[str, Any]] = []
    for pipeline_id in _pipelines_shown(scope, counts):
        name = scope.pipeline_names[pipeline_id]
        mine = {segment: c for (p, segment), c in counts.items() if p == pipeline_id}
        pipe_stages = stages.get(pipeline_id, [])
        base = replace(filters, pipelines=(str(pipeline_id),), by=None, options=())
        if by in ("team", "source"):
            rows += _segment_rows(name, pipe_stages, mine, by, scope, base)
        else:
            rows += _stage_rows(name, pipe_stages, total(mine.values()),
                                drill_base=(base, DealListOptions()))
    return ReportResult.from_rows(
        NAME, TITLE, _columns(by, scope.currency), rows, filters.describe(), wh.data_as_of(),
    )


def _pipelines_shown(scope: Scope, counts: CohortCounts) -> list[int]:
    """The pipelines asked for, else those where the shown deals are (in pipeline order)."""
    if scope.pipeline_ids is not None:
        return list(scope.pipeline_ids)
    present = {p for (p, _segment) in counts}
    return [p for p in scope.pipeline_names if p in present]


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _stage_rows(
    pipeline: str, stages: list[Stage], counts: StageCounts, divisor: int = 1,
    prefix: dict[str, Any] | None = None, drill_base: tuple[Filters, DealListOptions] | None = None,
) -> list[dict[str, Any]]:
    """One row per stage; counts divided by ``divisor`` for average rows, rates always pooled."""
    per_stage = [counts.get(s.id, Counts()) for s in stages]
    first = per_stage[0].reached if per_stage else 0
    rows = []
    for i, (stage, c) in enumerate(zip(stages, per_stage, strict=True)):
        previous = per_stage[i - 1].reached if i else None
        row: dict[str, Any] = {"pipeline": pipeline, **(prefix or {})}
        row.update(
            stage=stage.name,
            stage_kind=stage.kind,
            stage_order=i + 1,
            reached=_per(c.reached, divisor),
            reached_amount=_money(c.reached_amount, divisor),
            conversion_from_previous=_ratio(c.reached, previous) if previous is not None else None,
            conversion_from_first=_ratio(c.reached, first),
            lost=_per(c.lost, divisor),
            lost_amount=_money(c.lost_amount, divisor),
            drill=_drill(drill_base, stage),
        )
        rows.append(row)
    return rows


def _drill(base: tuple[Filters, DealListOptions] | None, stage: Stage) -> str | None:
    """The deal list behind a row's Reached (``drill.for_column`` gives Lost's)."""
    if base is None:
        return None
    filters, options = base
    return drill.query(filters, replace(options, stage=str(stage.id), mode="reached"))


def _per(count: int, divisor: int) -> float | int:
    return count if divisor == 1 else round(count / divisor, 2)


def _money(amount: Decimal, divisor: int) -> float:
    return float(round(amount / divisor, 2))


def _manager_funnel(wh: Warehouse, filters: Filters, scope: Scope) -> ReportResult:
    """Each shown manager's funnel, then the average of each of their teams, then the company's.

    Hundreds of managers and teams give thousands of rows: they are built column by column from
    numpy matrices (``funnel_manager_counts``), with drills written once per stage and the
    manager or team put in by Arrow (dicts, ``Decimal``s and ``urlencode`` per cell cost 10x the
    scan at 1M deals).
    """
    # Managers are read against everyone the other filters allow, so the cohort ignores --manager.
    progress = collapsed_cohort(wh, scope.without_managers())
    stages = stages_by_pipeline(wh)
    if scope.pipeline_ids is not None:
        pipelines = list(scope.pipeline_ids)
    else:
        present = pipeline_ids(progress, scope.owner_ids)
        pipelines = [p for p in scope.pipeline_names if p in present]
    columns = _columns("manager", scope.currency)
    out = _Columns(columns)
    cohort = Cohort.of(progress)
    for pipeline_id in pipelines:
        pipe_stages = stages.get(pipeline_id, [])
        if not pipe_stages:
            continue  # no stage, no row (as _stage_rows gives none)
        base = replace(filters, pipelines=(str(pipeline_id),), by=None, options=())
        _manager_block(out, scope.pipeline_names[pipeline_id], pipe_stages,
                       owner_matrix(cohort, pipeline_id, pipe_stages), scope, base)
    return activity_result.from_columns(NAME, TITLE, columns, out.values(), filters.describe(),
                                        wh.data_as_of())


def _manager_block(
    out: _Columns, pipeline: str, stages: list[Stage], counts: OwnerMatrix, scope: Scope, base: Filters
) -> None:
    """One pipeline's rows: its managers in name order, their teams' averages, the company's.

    Averages are over the managers with a deal in the cohort (every deal reaches the first stage).
    """
    has_deals = counts.reached[:, 0] > 0
    with_deals = [o for o, yes in zip(counts.owners, has_deals.tolist(), strict=True) if yes]
    candidates: list[int | None] = (
        list(scope.owner_ids) if scope.owner_ids is not None else list(with_deals)
    )
    names = {o: scope.person_name(o) for o in candidates}
    # Same names (two "Anna K."): by CRM id, so the order does not depend on the engine's.
    shown = sorted(candidates, key=lambda o: (names[o], o is not None, o or 0))
    teams = [(p.team if (p := scope.people.get(o) if o is not None else None) else None)
             for o in shown]
    out.add_block(
        pipeline, stages, counts.rows(shown),
        {"manager": [names[o] for o in shown], "manager_id": shown, "team": teams,
         "row_kind": ["manager"] * len(shown)},
        _filled(base, "manager", shown, stages),
    )

    team_ids = sorted({t for o in shown if (t := scope.team_of(o)) is not None})
    team_names = {p.team_id: p.team for p in scope.people.values() if p.team_id is not None}
    slot: dict[int | None, int] = {t: i for i, t in enumerate(team_ids)}
    of_team = np.array([slot.get(scope.team_of(o), -1) for o in counts.owners], dtype=np.intp)
    of_team[~has_deals] = -1
    members = np.bincount(of_team[of_team >= 0], minlength=len(team_ids)).tolist()
    out.add_block(
        pipeline, stages, counts.by_group(of_team, len(team_ids)),
        {"manager": [f"Team average: {team_names[t]}" for t in team_ids],
         "manager_id": [None] * len(team_ids), "team": [team_names[t] for t in team_ids],
         "row_kind": ["team_average"] * len(team_ids)},
        _filled(replace(base, managers=()), "team", list(team_ids), stages),
        [max(m, 1) for m in members],
    )

    company = replace(base, managers=())
    out.add_block(
        pipeline, stages, counts.by_group(np.where(has_deals, 0, -1).astype(np.intp), 1),
        {"manager": [COMPANY_AVERAGE], "manager_id": [None], "team": [None],
         "row_kind": ["company_average"]},
        pa.array([drill.query(company, _reached(s)) for s in stages], pa.string()),
        [max(len(with_deals), 1)],
    )


def _reached(stage: Stage) -> DealListOptions:
    return DealListOptions(stage=str(stage.id), mode="reached")


_STAND_IN = 8080808080808080
"""A stand-in id (digits: written as is) for writing a drill once for many managers or teams."""


def _filled(base: Filters, key: str, ids: list[int | None], stages: list[Stage]) -> pa.Array:
    """``drill.query(base with key=i, reached stage s)`` for every id ``i`` and stage ``s`` (id
    major; null for a None id): each stage's query written once, the ids put in by Arrow."""
    stand_in = f"{key}={_STAND_IN}"
    heads, tails = [], []
    for stage in stages:
        some = (str(_STAND_IN),)
        filters = replace(base, managers=some) if key == "manager" else replace(base, teams=some)
        text = drill.query(filters, _reached(stage))
        head, _, tail = text.partition(stand_in)
        heads.append(f"{head}{key}=")
        tails.append(tail)
    by_id, by_stage = _spread(len(ids), len(stages))
    texts = pa.array(ids, pa.int64()).cast(pa.string()).take(by_id)
    joined: pa.Array = pc.binary_join_element_wise(
        pa.array(heads, pa.string()).take(by_stage), texts,
        pa.array(tails, pa.string()).take(by_stage), "",
    )
    return joined


def _spread(n: int, k: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Row indices of ``n`` segments x ``k`` stages, segment major: (segment, stage) per cell."""
    return np.repeat(np.arange(n), k), np.tile(np.arange(k), n)


def _ratios(part: Matrix, whole: npt.ArrayLike, valid: npt.NDArray[np.bool_]) -> pa.Array:
    """``part / whole`` cell by cell, null where not ``valid`` (as ``_ratio`` gives None).

    int64 counts below 2**53 convert to float exactly, so the quotient is Python's ``int / int``.
    """
    quotient = np.divide(part, whole, out=np.zeros(part.shape, dtype=np.float64), where=valid)
    return pa.array(quotient.ravel(), pa.float64(), mask=~valid.ravel())


def _averaged_counts(counts: Matrix, divisors: list[int]) -> pa.Array:
    """``_per`` per cell: Python's ``round(count / divisor, 2)`` (numpy rounds otherwise)."""
    per_cell = np.repeat(divisors, counts.shape[1]).tolist()
    return pa.array([c if d == 1 else round(c / d, 2)
                     for c, d in zip(counts.ravel().tolist(), per_cell, strict=True)], pa.float64())


def _averaged_money(cents: Matrix, divisors: list[int]) -> npt.NDArray[np.float64]:
    """``_money`` per cell without ``Decimal``: cents / divisor rounded half to even, in integers.

    The Decimal quotient (28 digits) rounds to the same cent: a quotient with denominator
    ``divisor`` is either an exact tie or at least 1/(2 x divisor) cent away from one.
    """
    d = np.asarray(divisors, dtype=np.int64)[:, None]
    q, r = np.divmod(cents, d)
    up = (2 * r > d) | ((2 * r == d) & (q % 2 == 1))
    rounded: npt.NDArray[np.float64] = ((q + up) / 100.0).ravel()
    return rounded


class _Columns:
    """A result's columns gathered block by block as Arrow arrays (typed as declared)."""

    def __init__(self, columns: list[ColumnSpec]) -> None:
        self._types = {c.name: arrow_type(c.type) for c in columns}
        self._chunks: dict[str, list[pa.Array]] = {c.name: [] for c in columns}

    def add_block(
        self, pipeline: str, stages: list[Stage], counts: OwnerMatrix,
        labels: dict[str, list[Any]], drills: pa.Array, divisors: list[int] | None = None,
    ) -> None:
        """One row per segment (``labels``: a value per segment) and stage, segment major.

        With ``divisors`` (one per segment), counts and money are averages; rates stay pooled.
        """
        n, k = counts.reached.shape
        by_segment, by_stage = _spread(n, k)
        reached = counts.reached
        previous = np.zeros_like(reached)
        previous[:, 1:] = reached[:, :-1]
        has_previous = previous != 0
        has_previous[:, 0] = False
        first = np.broadcast_to(reached[:, :1], reached.shape)
        per_stage = {"stage": [s.name for s in stages], "stage_kind": [s.kind for s in stages],
                     "stage_order": list(range(1, k + 1))}
        values: dict[str, Any] = {
            "pipeline": pa.array([pipeline], pa.string()).take(np.zeros(n * k, dtype=np.intp)),
            **{name: pa.array(v, self._types[name]).take(by_segment) for name, v in labels.items()},
            **{name: pa.array(v, self._types[name]).take(by_stage) for name, v in per_stage.items()},
            "conversion_from_previous": _ratios(reached, previous, has_previous),
            "conversion_from_first": _ratios(reached, first, first != 0),
            "drill": drills,
        }
        if divisors is None:
            values.update(reached=reached.ravel().astype(np.float64),
                          reached_amount=counts.reached_cents.ravel() / 100.0,
                          lost=counts.lost.ravel().astype(np.float64),
                          lost_amount=counts.lost_cents.ravel() / 100.0)
        else:
            values.update(reached=_averaged_counts(reached, divisors),
                          reached_amount=_averaged_money(counts.reached_cents, divisors),
                          lost=_averaged_counts(counts.lost, divisors),
                          lost_amount=_averaged_money(counts.lost_cents, divisors))
        for name, type_ in self._types.items():
            value = values[name]
            self._chunks[name].append(
                value.cast(type_) if isinstance(value, pa.Array) else pa.array(value, type_)
            )

    def values(self) -> dict[str, pa.ChunkedArray]:
        return {name: pa.chunked_array(chunks, self._types[name])
                for name, chunks in self._chunks.items()}


NO_TEAM = "(no team)"
NO_SOURCE = "(none)"
ALL = "All"


def _segment_rows(
    pipeline: str, stages: list[Stage], by_key: dict[Any, StageCounts], by: str, scope: Scope,
    base: Filters,
) -> list[dict[str, Any]]:
    """One funnel per team or source, then the funnel of them all together."""
    segments: dict[str, list[StageCounts]] = {}
    drills: dict[str, tuple[Filters, DealListOptions]] = {}
    for key, counts in by_key.items():
        if by == "source":
            label = key or NO_SOURCE
            drills[label] = (base, DealListOptions(crm_source=key or ""))
        else:
            person = scope.people.get(key) if key is not None else None
            label = (person.team if person else None) or NO_TEAM
            drills[label] = ((replace(base, teams=(str(person.team_id),)), DealListOptions())
                             if person and person.team_id is not None
                             else (base, DealListOptions(no_team=True)))
        segments.setdefault(label, []).append(counts)
    rows: list[dict[str, Any]] = []
    for label in sorted(segments):
        rows += _stage_rows(pipeline, stages, total(segments[label]),
                            prefix={by: label, "row_kind": by}, drill_base=drills[label])
    rows += _stage_rows(pipeline, stages, total(by_key.values()),
                        prefix={by: ALL, "row_kind": "total"}, drill_base=(base, DealListOptions()))
    return rows




# Rows are always per pipeline, so --by pipeline is the plain funnel.
SPEC = ReportSpec(NAME, TITLE, SUMMARY, ("manager", "team", "source", "pipeline"), funnel)
