"""Sales analysis: the stage funnel of the deals created in a period, followed to today.

The counting is one Ibis query (``funnel_counts``); this module lays the counts out as rows per
pipeline, stage and segment, with conversions and averages. Kommo's own report credits a deal to
its current owner, and so do we.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from salesscope.reports import drill
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
from salesscope.reports.result import ColumnSpec, ReportResult
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
    # Managers are read against everyone the other filters allow, so the cohort ignores --manager.
    counts = cohort_counts(wh, scope.without_managers() if by == "manager" else scope, by)
    stages = stages_by_pipeline(wh)
    rows: list[dict[str, Any]] = []
    for pipeline_id in _pipelines_shown(scope, counts, by):
        name = scope.pipeline_names[pipeline_id]
        mine = {segment: c for (p, segment), c in counts.items() if p == pipeline_id}
        pipe_stages = stages.get(pipeline_id, [])
        base = replace(filters, pipelines=(str(pipeline_id),), by=None, options=())
        if by == "manager":
            rows += _manager_rows(name, pipe_stages, mine, scope, base)
        elif by in ("team", "source"):
            rows += _segment_rows(name, pipe_stages, mine, by, scope, base)
        else:
            rows += _stage_rows(name, pipe_stages, total(mine.values()),
                                drill_base=(base, DealListOptions()))
    return ReportResult.from_rows(
        NAME, TITLE, _columns(by, scope.currency), rows, filters.describe(), wh.data_as_of(),
    )


def _pipelines_shown(scope: Scope, counts: CohortCounts, by: str | None) -> list[int]:
    """The pipelines asked for, else those where the shown deals are (in pipeline order)."""
    if scope.pipeline_ids is not None:
        return list(scope.pipeline_ids)
    present = {
        p for (p, segment) in counts
        if by != "manager" or scope.owner_ids is None or segment in scope.owner_ids
    }
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


def _has_deals(counts: StageCounts, stages: list[Stage]) -> bool:
    """Whether a segment has any deal in the cohort (every deal reaches the first stage)."""
    return bool(stages) and counts.get(stages[0].id, Counts()).reached > 0


def _manager_rows(
    pipeline: str, stages: list[Stage], by_owner: dict[Any, StageCounts], scope: Scope, base: Filters
) -> list[dict[str, Any]]:
    """Each shown manager's funnel, then the average of each of their teams, then the company's."""
    with_deals = [o for o, c in by_owner.items() if _has_deals(c, stages)]
    candidates: list[int | None] = (
        list(scope.owner_ids) if scope.owner_ids is not None else list(with_deals)
    )
    shown = sorted(candidates, key=scope.person_name)
    rows: list[dict[str, Any]] = []
    for owner in shown:
        person = scope.people.get(owner) if owner is not None else None
        prefix = {"manager": scope.person_name(owner), "manager_id": owner,
                  "team": person.team if person else None, "row_kind": "manager"}
        mine = (replace(base, managers=(str(owner),)), DealListOptions()) if owner is not None else None
        rows += _stage_rows(pipeline, stages, by_owner.get(owner, {}), prefix=prefix, drill_base=mine)
    team_names = {p.team_id: p.team for p in scope.people.values() if p.team_id is not None}
    members_by_team: dict[int | None, list[int | None]] = {}
    for owner in with_deals:
        members_by_team.setdefault(scope.team_of(owner), []).append(owner)
    for team_id in sorted({t for o in shown if (t := scope.team_of(o)) is not None}):
        members = members_by_team.get(team_id, [])
        name = team_names[team_id]
        prefix = {"manager": f"Team average: {name}", "manager_id": None, "team": name,
                  "row_kind": "team_average"}
        team_base = (replace(base, managers=(), teams=(str(team_id),)), DealListOptions())
        rows += _stage_rows(pipeline, stages, total(by_owner[o] for o in members),
                            max(len(members), 1), prefix, team_base)
    prefix = {"manager": COMPANY_AVERAGE, "manager_id": None, "team": None,
              "row_kind": "company_average"}
    rows += _stage_rows(pipeline, stages, total(by_owner[o] for o in with_deals),
                        max(len(with_deals), 1), prefix, (replace(base, managers=()), DealListOptions()))
    return rows


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
