"""Sales analysis: the stage funnel of the deals created in a period, followed to today.

The heavy part is one Ibis aggregation over the cohort in the materialised ``deal_progress``
(one scan of one table); it yields a few hundred groups, which are expanded across each
pipeline's stages here. Kommo's own report credits a deal to its current owner, and so do we.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from salesscope.reports.filters import Filters, Scope, deal_filter, resolve
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
    ]
    return cols


@dataclass(frozen=True)
class _Group:
    """Cohort deals sharing owner, pipeline and progress: the unit the stages are counted from."""

    pipeline_id: int
    owner_id: int | None
    source: str | None
    max_open_sort: int
    outcome: str
    last_open_stage_id: int
    deals: int
    amount: Decimal


@dataclass(frozen=True)
class _Stage:
    id: int
    name: str
    kind: str
    sort: int


def funnel(wh: Warehouse, filters: Filters) -> ReportResult:
    """The funnel report; with ``by``, one funnel per manager, team or source, plus a reference."""
    scope = resolve(wh, filters, SPEC.groupings)
    by = None if filters.by == "pipeline" else filters.by
    # Managers are read against everyone the other filters allow, so the cohort ignores --manager.
    groups = _cohort_groups(wh, scope.without_managers() if by == "manager" else scope, by)
    shown = [g for g in groups
             if by != "manager" or scope.owner_ids is None or g.owner_id in scope.owner_ids]
    stages = _stages(wh)
    pipeline_ids = (list(scope.pipeline_ids) if scope.pipeline_ids is not None
                    else [p for p in scope.pipeline_names if any(g.pipeline_id == p for g in shown)])

    rows: list[dict[str, Any]] = []
    for pipeline_id in pipeline_ids:
        pipe_stages = stages.get(pipeline_id, [])
        name = scope.pipeline_names[pipeline_id]
        in_pipe = [g for g in groups if g.pipeline_id == pipeline_id]
        if by == "manager":
            rows += _manager_rows(name, pipe_stages, in_pipe, scope)
        elif by in ("team", "source"):
            rows += _segment_rows(name, pipe_stages, in_pipe, by, scope)
        else:
            rows += _stage_rows(name, pipe_stages, in_pipe)
    return ReportResult.from_rows(
        NAME, TITLE, _columns(by, scope.currency), rows, filters.describe(), wh.data_as_of(),
    )


def _cohort_groups(wh: Warehouse, scope: Scope, by: str | None) -> list[_Group]:
    """One Ibis aggregation: the cohort grouped by pipeline, segment and how far each deal got."""
    joined = deal_filter(wh.table("deal_progress"), scope)
    keys = ["pipeline_id", "max_open_sort", "outcome", "last_open_stage_id"]
    if by in ("manager", "team"):
        keys.append("owner_id")
    if by == "source":
        keys.append("source")
    grouped = joined.group_by(keys).aggregate(deals=joined.count(), amount=joined.amount.sum())
    return [
        _Group(int(r["pipeline_id"]), r.get("owner_id"), r.get("source"), int(r["max_open_sort"]),
               str(r["outcome"]), int(r["last_open_stage_id"]), int(r["deals"]),
               Decimal(r["amount"] or 0))
        for r in grouped.to_pyarrow().to_pylist()
    ]


def _stages(wh: Warehouse) -> dict[int, list[_Stage]]:
    """Open stages in order, then the won stage, per pipeline."""
    out: dict[int, list[_Stage]] = defaultdict(list)
    rows = wh.catalog().stages
    for r in sorted(rows, key=lambda r: (r["kind"] == "won", r["sort"], r["id"])):
        if r["kind"] in ("open", "won"):
            out[int(r["pipeline_id"])].append(_Stage(int(r["id"]), r["name"], r["kind"], r["sort"]))
    return out


@dataclass(frozen=True)
class _Counts:
    reached: int
    reached_amount: Decimal
    lost: int
    lost_amount: Decimal


def _count(stage: _Stage, groups: Iterable[_Group]) -> _Counts:
    """Reached and lost at one stage, over a set of cohort groups."""
    reached = lost = 0
    reached_amount = lost_amount = Decimal(0)
    for g in groups:
        if g.outcome == "won" or (stage.kind == "open" and g.max_open_sort >= stage.sort):
            reached += g.deals
            reached_amount += g.amount
        if stage.kind == "open" and g.outcome == "lost" and g.last_open_stage_id == stage.id:
            lost += g.deals
            lost_amount += g.amount
    return _Counts(reached, reached_amount, lost, lost_amount)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _stage_rows(
    pipeline: str, stages: list[_Stage], groups: list[_Group], divisor: int = 1,
    prefix: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per stage; counts divided by ``divisor`` for average rows, rates always pooled."""
    counts = [_count(s, groups) for s in stages]
    first = counts[0].reached if counts else 0
    rows = []
    for i, (stage, c) in enumerate(zip(stages, counts, strict=True)):
        previous = counts[i - 1].reached if i else None
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
        )
        rows.append(row)
    return rows


def _per(count: int, divisor: int) -> float | int:
    return count if divisor == 1 else round(count / divisor, 2)


def _money(amount: Decimal, divisor: int) -> float:
    return float(round(amount / divisor, 2))


def _manager_rows(
    pipeline: str, stages: list[_Stage], groups: list[_Group], scope: Scope
) -> list[dict[str, Any]]:
    """Each shown manager's funnel, then the average of each of their teams, then the company's."""
    owners_with_deals = {g.owner_id for g in groups}
    candidates: list[int | None] = (
        list(scope.owner_ids) if scope.owner_ids is not None else list(owners_with_deals)
    )
    shown = sorted(candidates, key=lambda i: _person_name(scope, i))
    rows: list[dict[str, Any]] = []
    for owner in shown:
        person = scope.people.get(owner) if owner is not None else None
        prefix = {"manager": _person_name(scope, owner), "manager_id": owner,
                  "team": person.team if person else None, "row_kind": "manager"}
        rows += _stage_rows(pipeline, stages, [g for g in groups if g.owner_id == owner],
                            prefix=prefix)
    teams = sorted({team for o in shown if o in scope.people
                    if (team := scope.people[o].team_id) is not None})
    for team_id in teams:
        members = {p.id for p in scope.people.values() if p.team_id == team_id}
        team_groups = [g for g in groups if g.owner_id in members]
        active = {g.owner_id for g in team_groups}
        team_name = next(p.team for p in scope.people.values() if p.team_id == team_id)
        prefix = {"manager": f"Team average: {team_name}", "manager_id": None, "team": team_name,
                  "row_kind": "team_average"}
        rows += _stage_rows(pipeline, stages, team_groups, max(len(active), 1), prefix)
    prefix = {"manager": COMPANY_AVERAGE, "manager_id": None, "team": None,
              "row_kind": "company_average"}
    rows += _stage_rows(pipeline, stages, groups, max(len(owners_with_deals), 1), prefix)
    return rows


NO_TEAM = "(no team)"
NO_SOURCE = "(none)"
ALL = "All"


def _segment_rows(
    pipeline: str, stages: list[_Stage], groups: list[_Group], by: str, scope: Scope
) -> list[dict[str, Any]]:
    """One funnel per team or source, then the funnel of them all together."""

    def segment(g: _Group) -> str:
        if by == "source":
            return g.source or NO_SOURCE
        person = scope.people.get(g.owner_id) if g.owner_id is not None else None
        return (person.team if person else None) or NO_TEAM

    rows: list[dict[str, Any]] = []
    for key in sorted({segment(g) for g in groups}):
        mine = [g for g in groups if segment(g) == key]
        rows += _stage_rows(pipeline, stages, mine, prefix={by: key, "row_kind": by})
    rows += _stage_rows(pipeline, stages, groups, prefix={by: ALL, "row_kind": "total"})
    return rows


def _person_name(scope: Scope, owner_id: int | None) -> str:
    if owner_id is None:
        return "(no owner)"
    person = scope.people.get(owner_id)
    return person.name if person else f"user {owner_id}"


# Rows are always per pipeline, so --by pipeline is the plain funnel.
SPEC = ReportSpec(NAME, TITLE, SUMMARY, ("manager", "team", "source", "pipeline"), funnel)
