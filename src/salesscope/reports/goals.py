"""Goals: plan against fact per manager and team, the pace so far, and who carries the team.

A fact is what the goal's metric counts over the goal's own period: deals won (closed, by
``closed_at``, account-local dates) by their current owner, in any pipeline, not deleted — the
money (``won_amount``) or the number (``won_count``). A team's fact is its current members' facts
together, and under each team goal every member is listed with their own goal (if any) and their
share of the team's fact: who carries the team and who holds it back reads straight off the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from salesscope.goals_store import Goal, load
from salesscope.reports import drill
from salesscope.reports.activity_cache import compiled_arrow
from salesscope.reports.drill import DealListOptions
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Scope, resolve
from salesscope.reports.local_time import local_datetime, utc_of_local
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.reports.working_time import WorkingDay
from salesscope.warehouse.store import Warehouse

NAME = "goals"
TITLE = "Goals: plan and fact"
SUMMARY = ("Each goal's plan against the deals won in its period, the progress expected by today "
           "at an even pace over the working days, the projection at the current pace, and each "
           "team member's contribution.")
WON_DEALS = DealListOptions(status="won", dated="closed")
Facts = dict[Any, tuple[int, Decimal]]


def _columns() -> list[ColumnSpec]:
    unit = " In the account currency for won_amount, in deals for won_count."
    return [
        ColumnSpec("period", "Period", "string", "The goal's period (account-local dates)."),
        ColumnSpec("team", "Team", "string", "The team of a team goal, or the manager's team."),
        ColumnSpec("manager", "Manager", "string", "The manager; empty on a team row."),
        ColumnSpec("manager_id", "Manager id", "integer", "CRM user id; empty on a team row."),
        ColumnSpec("row_kind", "Row", "string", "team (a team goal), member (a member of the team "
                   "above, with their own goal if they have one) or manager (a manager's goal)."),
        ColumnSpec("metric", "Metric", "string", "won_amount (money won) or won_count (deals won)."),
        ColumnSpec("plan", "Plan", "number", "The goal's target; empty for a member without a "
                   "goal of their own." + unit),
        ColumnSpec("fact", "Fact", "number", "Deals won (closed) in the goal's period by the "
                   "manager (a team: its current members), any pipeline, non-deleted: their "
                   "budget for won_amount, their number for won_count." + unit),
        ColumnSpec("progress", "Progress", "fraction", "Fact / plan."),
        ColumnSpec("expected_by_today", "Expected by today", "number",
                   "Plan × the share of the period's working time (Mon–Fri, working hours) "
                   "elapsed at the data's as-of time: where an even pace would be now." + unit),
        ColumnSpec("projected", "Projected", "number", "Fact / that elapsed share: the period's "
                   "result at the pace so far; empty before the period starts." + unit),
        ColumnSpec("gap", "Gap", "number", "Fact − plan: above zero the goal is exceeded by "
                   "that much, below zero it is missed by that much." + unit),
        ColumnSpec("share_of_team", "Share of team", "fraction", "On member rows: the member's "
                   "fact / the team's fact."),
        ColumnSpec("status", "Status", "string", "For an ended period: met or missed; for the "
                   "current one: on track (projected ≥ plan) or behind; not started before it."),
        ColumnSpec("drill", "Drill", "string", "The `salesscope deals` query listing the deals "
                   "counted in Fact."),
    ]


def goals(wh: Warehouse, filters: Filters) -> ReportResult:
    """Every goal the filters select (overlapping the period), with facts and pace."""
    for field, values in (("pipeline", filters.pipelines), ("source", filters.sources),
                          ("tag", filters.tags)):
        if values:
            raise FilterError(field, ", ".join(values), [f"no --{field}: goals count every pipeline, "
                              "source and tag"], reason=f"the goals report takes no {field}")
    scope = resolve(wh, filters)
    now = local_datetime(wh.data_as_of() or dt.datetime.now(dt.UTC).replace(tzinfo=None),
                         scope.timezone)
    chosen = [g for g in load(wh) if _overlaps(g, filters)]
    day = WorkingDay.from_settings(wh)
    shown = _shown(chosen, scope, filters)
    facts = {dates: _facts(wh, scope, *dates) for dates in {(g.period_start, g.period_end) for g in shown}}
    rows: list[dict[str, Any]] = []
    for g in shown:
        share = day.elapsed_share(g.period_start, g.period_end, now)
        rows += _goal_rows(g, chosen, scope, facts[(g.period_start, g.period_end)], share)
    return ReportResult.from_rows(NAME, TITLE, _columns(), rows, filters.describe(), wh.data_as_of())


def _overlaps(g: Goal, filters: Filters) -> bool:
    p = filters.period
    return p is None or (g.period_start < p.end and g.period_end >= p.start)


def _shown(chosen: list[Goal], scope: Scope, filters: Filters) -> list[Goal]:
    """Team goals (their members follow them) and manager goals not already under a team row."""
    allowed = set(scope.owner_ids) if scope.owner_ids is not None else None
    team_ids = {p.team_id for p in scope.people.values() if allowed is None or p.id in allowed}
    shown = []
    for g in chosen:
        if g.scope == "team":
            if not filters.managers and (allowed is None or g.owner_id in team_ids):
                shown.append(g)
        elif allowed is None or g.owner_id in allowed:
            person = scope.people.get(g.owner_id)
            under_team = not filters.managers and any(
                t.scope == "team" and person is not None and t.owner_id == person.team_id
                and (t.period_start, t.period_end, t.metric) == (g.period_start, g.period_end, g.metric)
                for t in chosen)
            if not under_team:
                shown.append(g)
    return shown


def _facts(wh: Warehouse, scope: Scope, first: dt.date, last: dt.date) -> Facts:
    """Won deals (count, amount) per current owner, closed within local dates first..last."""
    start = utc_of_local(first, scope.timezone)
    end = utc_of_local(last + dt.timedelta(days=1), scope.timezone)
    def counted() -> ir.Table:
        # closed_deals is stored by outcome, then closed_at: the period's won deals are a few of
        # its row groups (warehouse.derived_open).
        t = wh.table("closed_deals")
        t = t.filter(~t.deleted, t.outcome == "won", t.closed_at >= start, t.closed_at < end)
        return t.group_by("owner_id").aggregate(deals=t.count(), amount=t.amount.sum())

    return {r["owner_id"]: (r["deals"], r["amount"] or Decimal(0))
            for r in compiled_arrow(wh, ("goals facts", start, end), counted).to_pylist()}


def _fact(facts: Facts, owners: Iterable[Any], metric: str) -> float:
    deals = sum(facts.get(o, (0, Decimal(0)))[0] for o in owners)
    amount = sum((facts.get(o, (0, Decimal(0)))[1] for o in owners), Decimal(0))
    return float(amount) if metric == "won_amount" else float(deals)


def _goal_rows(g: Goal, chosen: list[Goal], scope: Scope, facts: Facts, share: float
               ) -> list[dict[str, Any]]:
    period = g.period
    if g.scope == "manager":
        person = scope.people.get(g.owner_id)
        fact = _fact(facts, [g.owner_id], g.metric)
        query = drill.query(Filters(period=period, managers=(str(g.owner_id),)), WON_DEALS)
        return [_row(period.label, person.team if person else None, g.owner_id, scope, "manager",
                     g.metric, float(g.target), fact, share, None, query)]
    members = [p for p in scope.people.values() if p.team_id == g.owner_id]
    team_fact = _fact(facts, [p.id for p in members], g.metric)
    team_name = next((p.team for p in members if p.team), None) or f"team {g.owner_id}"
    rows = [_row(period.label, team_name, None, scope, "team", g.metric, float(g.target), team_fact,
                 share, None, drill.query(Filters(period=period, teams=(str(g.owner_id),)), WON_DEALS))]
    own = {t.owner_id: t for t in chosen if t.scope == "manager" and
           (t.period_start, t.period_end, t.metric) == (g.period_start, g.period_end, g.metric)}
    for p in sorted(members, key=lambda p: p.name):
        fact = _fact(facts, [p.id], g.metric)
        if not (p.active or fact or p.id in own):
            continue
        plan = float(own[p.id].target) if p.id in own else None
        rows.append(_row(period.label, team_name, p.id, scope, "member", g.metric, plan, fact, share,
                         fact / team_fact if team_fact else None,
                         drill.query(Filters(period=period, managers=(str(p.id),)), WON_DEALS)))
    return rows


def _row(period: str, team: str | None, manager_id: int | None, scope: Scope, kind: str,
         metric: str, plan: float | None, fact: float, share: float, of_team: float | None,
         query: str) -> dict[str, Any]:
    person = scope.people.get(manager_id) if manager_id is not None else None
    return {
        "period": period, "team": team,
        "manager": person.name if person else (None if manager_id is None else f"user {manager_id}"),
        "manager_id": manager_id, "row_kind": kind, "metric": metric, "plan": plan,
        "fact": _round(fact), "progress": fact / plan if plan else None,
        "expected_by_today": _round(plan * share) if plan is not None else None,
        "projected": _round(fact / share) if share > 0 else None,
        "gap": _round(fact - plan) if plan is not None else None,
        "share_of_team": of_team, "status": _status(plan, fact, share), "drill": query,
    }


def _round(value: float) -> float:
    return round(value, 2)


def _status(plan: float | None, fact: float, share: float) -> str | None:
    if plan is None:
        return None
    if share >= 1:
        return "met" if fact >= plan else "missed"
    if share <= 0:
        return "not started"
    return "on track" if fact / share >= plan else "behind"


SPEC = ReportSpec(NAME, TITLE, SUMMARY, (), goals)
