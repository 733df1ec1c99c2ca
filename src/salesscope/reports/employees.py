"""Employee report: what each manager did in the period, by kind of action, beside the medians.

Every column counts rows of the event list (``activity_facts``, the same rows ``report events``
lists), credited to the manager who did them, so each number opens as
``salesscope report events --manager NAME --kind KIND`` with the same period and filters:

- deals_created, calls_in, calls_out, messages_out, notes, tasks_created, tasks_completed: rows
  of ``activities`` of that kind by their author. Leads created by integrations (web forms,
  chats) have no author and count for nobody.
- messages_in: a client's message has no author; it is credited to the current owner of the deal
  it came into (the manager who had to answer it).
- stage_changes and proposals_sent: rows of ``deal_stage_changes`` (the stage history), by the
  person who moved the deal; moves by robots count for nobody.

Kommo's own report counts the same actions; it shows no team reference, so a manager cannot be
read against the team. Here each team of the shown managers gets a median row (a median, not a
mean, so one very busy or absent colleague does not set the bar), and the company one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from salesscope.reports import activity_drill
from salesscope.reports import activity_people as people
from salesscope.reports.activity_cache import activity_table, compiled_arrow, scope_key
from salesscope.reports.activity_calendar import Spans, person_days, spans
from salesscope.reports.activity_scope import FILTERS_NOTE, has_deal_filter, in_scope, proposal_stages
from salesscope.reports.filters import Filters, Scope, resolve
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.warehouse.derived_activity import ACTIVITY_DAY_COUNTS, ACTIVITY_FACTS
from salesscope.warehouse.store import Warehouse

NAME = "employees"
TITLE = "Employee report: actions per manager"
SUMMARY = ("Actions by their author in the period, per manager (per day with --by day), by "
           "kind — deals created, stage moves, proposals, calls, messages, notes, tasks — with "
           "the team and company medians."
           + FILTERS_NOTE)

# (column, label, activity kind counted or None, definition)
_COUNTS = (
    ("deals_created", "Deals created", "deal_created",
     "Deals the manager created by hand (leads from integrations count for nobody)."),
    ("stage_changes", "Stage moves", "stage_change",
     "Moves of a deal from one stage to another made by the manager (deal_stage_changes)."),
    ("proposals_sent", "Proposals sent", None,
     "Stage moves by the manager into the pipeline's proposal stage (setting proposal_stage, "
     "default the stage named like a commercial proposal); every move into it counts."),
    ("calls_in", "Calls in", "call_in", "Incoming calls the manager took (call_in actions)."),
    ("calls_out", "Calls out", "call_out", "Outgoing calls the manager made (call_out actions)."),
    ("messages_in", "Messages in", "message_in",
     "Clients' messages into the manager's deals (credited to the deal's current owner)."),
    ("messages_out", "Messages out", "message_out", "Messages the manager sent."),
    ("notes", "Notes", "note", "Notes the manager wrote."),
    ("tasks_created", "Tasks set", "task_created", "Tasks the manager set."),
    ("tasks_completed", "Tasks done", "task_completed", "Tasks the manager completed."),
    ("actions", "All actions", None,
     "Every action credited to the manager: the rows of the event list."),
)
COUNT_COLUMNS = tuple(c[0] for c in _COUNTS)
Key = tuple[int | None, dt.date | None]
"""(manager, day) — day None without --by day."""
_KIND_COLUMN = {kind: name for name, _, kind, _ in _COUNTS if kind is not None}
_MEDIAN_NOTE = " On median rows: the median over the team's (or company's) managers, zeros included."
_DRILL = ColumnSpec("drill", "Drill", "string", "The event list behind All actions, as REPORT?QUERY "
                    "(events?period=…&manager=ID: the page /reports/events?… or `salesscope report "
                    "events --period … --manager ID`); each count adds its --kind (proposals: "
                    "--to-stage proposal). Empty on median rows.")


def _columns(by_day: bool) -> list[ColumnSpec]:
    cols = [
        ColumnSpec("manager", "Manager", "string", "The manager (full CRM name); on median rows, "
                   "whose median it is."),
        ColumnSpec("manager_id", "Manager id", "integer", "CRM id of the manager; empty on "
                   "median rows."),
        ColumnSpec("team", "Team", "string", "The manager's team."),
        ColumnSpec("row_kind", "Row", "string", "manager, team_median or company_median."),
    ]
    if by_day:
        cols.append(ColumnSpec("day", "Day", "string", "Account-local date, YYYY-MM-DD: every "
                               "working day (Mon-Fri) of the manager's span in the period, and "
                               "any other day with actions."))
    cols += [ColumnSpec(name, label, "number", text + _MEDIAN_NOTE)
             for name, label, _, text in _COUNTS]
    cols.append(_DRILL)
    return cols


def employees(wh: Warehouse, filters: Filters) -> ReportResult:
    """Per-manager (or per-manager-day) action counts, then team and company medians."""
    scope = resolve(wh, filters, SPEC.groupings)
    by_day = filters.by == "day"
    counts = _counts(wh, scope, by_day)
    spans_ = spans(wh, scope)
    pool = people.everyone(scope, {key[0] for key in counts}, spans_.by_person)
    shown = people.listed(scope, pool)
    rows = (_day_rows(scope, spans_, counts, shown, pool) if by_day
            else _manager_rows(scope, counts, shown, pool))
    return ReportResult.from_rows(NAME, TITLE, _columns(by_day), rows, filters.describe(),
                                  wh.data_as_of())


def _counts(wh: Warehouse, scope: Scope, by_day: bool) -> dict[Key, dict[str, float]]:
    """Counts per manager (and day) per column, from one grouped read.

    Without a deal filter the read is of the per-day counts materialised at load time; with one,
    of the actions themselves. Either way the rows come grouped by kind and pivoted here.
    """
    per_action = has_deal_filter(scope)
    proposal = proposal_stages(wh)

    def grouped_counts() -> ir.Table:
        t = activity_table(wh, ACTIVITY_FACTS if per_action else ACTIVITY_DAY_COUNTS)
        more = [t.manager_id.notnull()] if per_action else []
        if scope.team_owner_ids is not None:
            more.append(t.manager_id.isin(scope.team_owner_ids))
        t = in_scope(t, scope, None, *more)
        is_proposal = t.to_stage_id.isin(proposal) if proposal else ibis.literal(False)
        if per_action:
            metrics = {"n": t.count(), "proposals": t.count(where=is_proposal)}
        else:
            metrics = {"n": t.actions.sum(), "proposals": t.actions.sum(where=is_proposal)}
        keys = ["manager_id", *(["day"] if by_day else []), "kind"]
        return t.group_by(keys).aggregate(**metrics)

    # The SQL depends on the scope, the layout and the proposal stages (a setting), not on the data.
    key = ("employees counts", scope_key(scope), by_day, tuple(sorted(proposal)))
    grouped = compiled_arrow(wh, key, grouped_counts)
    days = grouped["day"].to_pylist() if by_day else [None] * grouped.num_rows
    out: dict[Key, dict[str, float]] = {}
    for m, d, kind, n, proposals in zip(
        grouped["manager_id"].to_pylist(), days, grouped["kind"].to_pylist(),
        grouped["n"].to_pylist(), grouped["proposals"].to_pylist(), strict=True,
    ):
        row = out.setdefault((m, d), _zeros())
        column = _KIND_COLUMN.get(kind)
        if column is not None:
            row[column] += n
        row["proposals_sent"] += proposals or 0
        row["actions"] += n
    return out


def _zeros() -> dict[str, float]:
    return dict.fromkeys(COUNT_COLUMNS, 0.0)


def _manager_rows(scope: Scope, counts: dict[Key, dict[str, float]],
                  shown: list[int | None], pool: list[int | None]) -> list[dict[str, Any]]:
    per_person = {m: c for (m, _), c in counts.items()}
    drills = activity_drill.person_drills("events", scope, shown)
    rows = [{**people.identity(scope, m), **per_person.get(m, _zeros()), "drill": d}
            for m, d in zip(shown, drills, strict=True)]
    return rows + _undrilled(people.median_rows(scope, shown, pool, per_person, COUNT_COLUMNS))


def _day_rows(scope: Scope, spans_: Spans, counts: dict[Key, dict[str, float]],
              shown: list[int | None], pool: list[int | None]) -> list[dict[str, Any]]:
    """For each day: the shown managers' rows, then that day's medians."""
    worked: dict[int | None, set[dt.date]] = {}
    for m, d in counts:
        if d is not None:
            worked.setdefault(m, set()).add(d)
    days_of = {m: set(person_days(scope, spans_, m, worked.get(m, ())))
               for m in set(shown) | set(pool)}
    all_days = sorted({d for m in shown for d in days_of[m]})
    rows: list[dict[str, Any]] = []
    for day in all_days:
        label = day.isoformat()
        here = [m for m in shown if day in days_of[m]]
        for m, link in zip(here, activity_drill.person_drills("events", scope, here, day), strict=True):
            rows.append({**people.identity(scope, m), "day": label,
                         **counts.get((m, day), _zeros()), "drill": link})
        working = [m for m in pool if day in days_of[m]]
        per_person = {m: counts.get((m, day), _zeros()) for m in working}
        rows += _undrilled(people.median_rows(scope, here, working, per_person, COUNT_COLUMNS,
                                              extra={"day": label}))
    return rows


def _undrilled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median rows: no list stands behind a median."""
    return [{**row, "drill": None} for row in rows]


SPEC = ReportSpec(NAME, TITLE, SUMMARY, ("manager", "day"), employees)
