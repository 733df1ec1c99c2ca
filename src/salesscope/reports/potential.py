"""What we could have earned: each manager's (or channel's) cohort priced at the median conversion.

For every open stage, the deals of the period that reached it are valued at the median of the
managers' own conversions from that stage to payment, at the row's own average check; the gap to
what they really brought says where money was lost. The first stage covers the whole funnel, so
"first-stage gap minus proposal-stage gap" is the money lost before the proposal. The median is
the company's (every manager the filters allow) unless ``--against team``; rates are also shown
shrunk toward it, so a manager with ten leads does not read as an alarm. Counting is the
funnel's (``funnel_counts``); the arithmetic is in ``potential_rates``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from salesscope.reports import drill
from salesscope.reports.drill import DealListOptions
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Scope, resolve
from salesscope.reports.funnel_counts import CohortCounts, Stage, cohort_counts, stages_by_pipeline
from salesscope.reports.potential_counts import channel_counts
from salesscope.reports.potential_rates import Line, Segment, line, median_rates, pooled_check, segment, total
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportOption, ReportSpec
from salesscope.warehouse.store import Warehouse

NAME = "potential"
TITLE = "Potential: what the period's deals could have earned"
SUMMARY = ("Per manager (or channel) and stage: the revenue the deals created in the period would "
           "have brought at the managers' median conversion from that stage on, against what they "
           "brought; rates are also shrunk toward the median so a few deals do not make an alarm.")

PRIOR = 10.0
AGAINST = ("company", "team")
COMPANY = "Company total"
ALL = "All"

_MANAGER_COLUMNS = (
    ColumnSpec("manager", "Manager", "string", "The deal's current owner (full CRM name); on total "
               "rows, which managers are added up."),
    ColumnSpec("manager_id", "Manager id", "integer", "CRM id of the owner; empty on total rows."),
    ColumnSpec("team", "Team", "string", "The owner's team."),
    ColumnSpec("row_kind", "Row", "string", "manager, team (total of its managers) or company "
               "(total of every manager)."),
)
_CHANNEL_COLUMNS = (
    ColumnSpec("channel", "Channel", "string", "The deal's channel: its utm_source, else its CRM lead "
               "source, else (none); All = every channel together."),
    ColumnSpec("row_kind", "Row", "string", "channel, or total for All."),
)


def _columns(by: str, currency: str) -> list[ColumnSpec]:
    cols = [ColumnSpec("pipeline", "Pipeline", "string", "The deal's current pipeline.")]
    cols += _CHANNEL_COLUMNS if by == "channel" else _MANAGER_COLUMNS
    cols += [
        ColumnSpec("stage", "Stage", "string", "An open stage of the pipeline, in order; the first "
                   "stage holds every deal of the cohort, so its row is the whole funnel."),
        ColumnSpec("stage_order", "#", "integer", "Position of the stage in the funnel, from 1."),
        ColumnSpec("reached", "Reached", "integer",
                   "Deals created in the period (the cohort) that reached this stage, as the funnel "
                   "counts them: skipped stages count as reached, won deals reached every stage."),
        ColumnSpec("won", "Won", "integer", "Deals of the cohort won by now; they reached every "
                   "stage, so the number is the same on every stage of a row."),
        ColumnSpec("revenue", "Revenue", "money", "Sum of the budgets of the won deals of the cohort.",
                   currency),
        ColumnSpec("conversion", "Conversion", "fraction",
                   "Won / reached: the row's own conversion from this stage to payment."),
        ColumnSpec("median_conversion", "Median conversion", "fraction",
                   "The reference rate: the median of the managers' own conversions from this stage "
                   "(won / reached, each manager with a deal at the stage counted once), over every "
                   "manager the filters allow, or with --against team over the manager's team (the "
                   "company's for a manager without a team). Channels are held to the company "
                   "median. Empty on a total row whose rows use different medians."),
        ColumnSpec("shrunk_conversion", "Shrunk conversion", "fraction",
                   "(won + K × median) / (reached + K), K = --prior: the own conversion as if K more "
                   "deals had converted at the median (empirical-Bayes shrinkage), so a row with few "
                   "deals stays near the median and ten leads do not make an alarm. Empty on total "
                   "rows."),
        ColumnSpec("average_check", "Average check", "money",
                   "Revenue / won: the row's own average check, which prices the potential so that "
                   "the gap measures conversion, not price; without a win, the average check of the "
                   "managers the median is taken over.", currency),
        ColumnSpec("potential", "Potential", "money",
                   "Reached × median conversion × average check: what the deals that reached this "
                   "stage would have brought at the median conversion from here on. On total rows: "
                   "the sum of the rows added.", currency),
        ColumnSpec("gap", "Gap", "money",
                   "Potential − revenue: money lost against the median from this stage on (negative: "
                   "better than the median). The first stage's gap minus the proposal stage's is what "
                   "was lost before the proposal.", currency),
        ColumnSpec("shrunk_gap", "Shrunk gap", "money",
                   "Reached × (median − shrunk conversion) × average check, which is gap × reached / "
                   "(reached + K): the part of the gap a small sample can carry; read it before "
                   "calling an alarm. On total rows: the sum of the rows added.", currency),
        ColumnSpec("drill", "Drill", "string", "The `salesscope deals` query listing the deals "
                   "counted in Reached."),
    ]
    return cols


@dataclass(frozen=True)
class Reference:
    """What a row is held to: the median rate per stage and the check for a row without wins."""

    medians: dict[int, float | None]
    check: float | None


def potential(wh: Warehouse, filters: Filters) -> ReportResult:
    """The potential report: per manager (default) or channel, per pipeline and open stage."""
    scope = resolve(wh, filters, SPEC.groupings)
    by = filters.by or "manager"
    prior, against = _prior(filters), _against(filters)
    # Medians are read against every manager the other filters allow, so they ignore --manager.
    by_owner = cohort_counts(wh, scope.without_managers(), "manager")
    by_channel = channel_counts(wh, scope) if by == "channel" else {}
    stages = stages_by_pipeline(wh)
    rows: list[dict[str, Any]] = []
    for pipeline_id in _pipelines_shown(scope, by_channel if by == "channel" else by_owner, by):
        pipe_stages = stages.get(pipeline_id, [])
        owners = {o: segment(c, pipe_stages) for (p, o), c in by_owner.items() if p == pipeline_id}
        base = replace(filters, pipelines=(str(pipeline_id),), by=None, options=())
        layout = _Layout(scope.pipeline_names[pipeline_id], pipe_stages, prior, base)
        if by == "channel":
            channels = {c: segment(n, pipe_stages) for (p, c), n in by_channel.items() if p == pipeline_id}
            rows += layout.channel_rows(channels, _reference(_managers(owners).values(), pipe_stages))
        else:
            rows += layout.manager_rows(owners, scope, against)
    return ReportResult.from_rows(
        NAME, TITLE, _columns(by, scope.currency), rows, filters.describe(), wh.data_as_of(),
    )


def _prior(filters: Filters) -> float:
    value = float(filters.option("prior", PRIOR))
    if value < 0:
        raise FilterError("--prior", str(value), ["a number of deals, 0 or more"], reason="negative --prior")
    return value


def _against(filters: Filters) -> str:
    value = str(filters.option("against", AGAINST[0])).strip().lower()
    if value not in AGAINST:
        raise FilterError("--against", value, list(AGAINST))
    return value


def _pipelines_shown(scope: Scope, counts: CohortCounts, by: str) -> list[int]:
    """The pipelines asked for, else those where the shown deals are (in pipeline order)."""
    if scope.pipeline_ids is not None:
        return list(scope.pipeline_ids)
    present = {p for (p, key) in counts
               if by == "channel" or scope.owner_ids is None or key in scope.owner_ids}
    return [p for p in scope.pipeline_names if p in present]


def _managers(owners: dict[Any, Segment]) -> dict[int, Segment]:
    """The segments that are managers (not the deals without an owner) with a deal in the cohort."""
    return {o: s for o, s in owners.items() if o is not None and any(s.reached.values())}


def _reference(members: Iterable[Segment], stages: Sequence[Stage]) -> Reference:
    group = list(members)
    return Reference(median_rates(group, stages), pooled_check(group))


@dataclass(frozen=True)
class _Layout:
    """One pipeline's rows: its name, stages, the prior and the filters drills start from."""

    pipeline: str
    stages: Sequence[Stage]
    prior: float
    base: Filters

    @property
    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind == "open"]

    def lines(self, seg: Segment, ref: Reference) -> list[Line]:
        return [line(seg, s.id, ref.medians.get(s.id), ref.check, self.prior) for s in self.open_stages]

    def rows(self, lines: Sequence[Line], prefix: dict[str, Any],
             drill_base: tuple[Filters, DealListOptions] | None) -> list[dict[str, Any]]:
        out = []
        for i, (stage, x) in enumerate(zip(self.open_stages, lines, strict=True)):
            out.append({
                "pipeline": self.pipeline, **prefix, "stage": stage.name, "stage_order": i + 1,
                "reached": x.reached, "won": x.won, "revenue": _money(x.revenue),
                "conversion": x.conversion, "median_conversion": x.median,
                "shrunk_conversion": x.shrunk, "average_check": _money(x.check),
                "potential": _money(x.potential), "gap": _money(x.gap),
                "shrunk_gap": _money(x.shrunk_gap),
                "drill": (drill.query(drill_base[0], replace(drill_base[1], stage=str(stage.id),
                                                             mode="reached"))
                          if drill_base else None),
            })
        return out

    def manager_rows(self, owners: dict[Any, Segment], scope: Scope, against: str) -> list[dict[str, Any]]:
        """Each shown manager, then the total of each of their teams, then the company total."""
        managers = _managers(owners)
        company = _reference(managers.values(), self.stages)
        teams: dict[int | None, Reference] = {}
        if against == "team":
            for team_id in {t for o in managers if (t := scope.team_of(o)) is not None}:
                teams[team_id] = _reference((s for o, s in managers.items() if scope.team_of(o) == team_id),
                                            self.stages)
        with_deals = [o for o, s in owners.items() if any(s.reached.values())]
        candidates = list(scope.owner_ids) if scope.owner_ids is not None else with_deals
        empty = Segment({}, 0, Decimal(0))
        lines = {o: self.lines(owners.get(o, empty), _held_to(scope, o, teams, company))
                 for o in {*candidates, *with_deals}}
        rows: list[dict[str, Any]] = []
        for owner in sorted(candidates, key=scope.person_name):
            person = scope.people.get(owner) if owner is not None else None
            prefix = {"manager": scope.person_name(owner), "manager_id": owner,
                      "team": person.team if person else None, "row_kind": "manager"}
            mine = (replace(self.base, managers=(str(owner),)), DealListOptions()) if owner is not None else None
            rows += self.rows(lines[owner], prefix, mine)
        team_names = {p.team_id: p.team for p in scope.people.values() if p.team_id is not None}
        for team_id in sorted({t for o in candidates if (t := scope.team_of(o)) is not None}):
            members = [lines[o] for o in with_deals if scope.team_of(o) == team_id]
            prefix = {"manager": f"Team total: {team_names[team_id]}", "manager_id": None,
                      "team": team_names[team_id], "row_kind": "team"}
            team_base = (replace(self.base, managers=(), teams=(str(team_id),)), DealListOptions())
            rows += self.rows(self._totals(members), prefix, team_base)
        prefix = {"manager": COMPANY, "manager_id": None, "team": None, "row_kind": "company"}
        rows += self.rows(self._totals([lines[o] for o in with_deals]), prefix,
                          (replace(self.base, managers=()), DealListOptions()))
        return rows

    def channel_rows(self, channels: dict[Any, Segment], ref: Reference) -> list[dict[str, Any]]:
        """Each channel held to the managers' company median, then every channel together."""
        lines = {c: self.lines(s, ref) for c, s in channels.items()}
        rows: list[dict[str, Any]] = []
        for label in sorted(lines):
            rows += self.rows(lines[label], {"channel": label, "row_kind": "channel"},
                              (self.base, DealListOptions(channel=label)))
        rows += self.rows(self._totals(list(lines.values())), {"channel": ALL, "row_kind": "total"},
                          (self.base, DealListOptions()))
        return rows

    def _totals(self, parts: Sequence[Sequence[Line]]) -> list[Line]:
        """Stage by stage, the lines of several rows added up."""
        return [total([p[i] for p in parts]) for i in range(len(self.open_stages))]


def _held_to(scope: Scope, owner: int | None, teams: dict[int | None, Reference], company: Reference) -> Reference:
    """A manager's reference: the team's when medians are per team and he has one, else the company's."""
    team_id = scope.team_of(owner)
    return teams.get(team_id, company)


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)




SPEC = ReportSpec(
    NAME, TITLE, SUMMARY, ("manager", "channel"), potential,
    options=(
        ReportOption("prior", float, PRIOR, "deals of weight the median gets when shrinking a row's "
                     "conversion (0: no shrinking)"),
        ReportOption("against", str, AGAINST[0], "whose median each manager is held to: company (every "
                     "manager the filters allow) or team (the manager's team)"),
    ),
)
