"""Work time: per manager per working day, when work started and ended, breaks and lunch.

A day's work is read from the actions a person took in the CRM (the rows of the event list with
an author; clients' messages and robots' moves are nobody's work). Between two consecutive actions
of a person on the same local day lies a *gap*; a gap longer than ``--break-min`` minutes is a
break, and the break overlapping the lunch hours (settings lunch_start-lunch_end) most is lunch.
A working day (Monday-Friday within the person's span, see ``activity_calendar``) without any
action is shown as absent. Kommo shows the raw feed only; here the day is summarised.

The gaps are materialised at load time (``activity_gaps``), so a report reads them with a filter
instead of a window function over every action (measured 1.36 s at 10M actions). With a
pipeline, source or tag filter the gaps are between the actions that remain, computed in the query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from salesscope import settings
from salesscope.reports import activity_drill
from salesscope.reports import activity_people as people
from salesscope.reports.activity_cache import activity_table, per_catalog
from salesscope.reports.activity_calendar import minutes, person_days, spans
from salesscope.reports.activity_scope import FILTERS_NOTE, has_deal_filter, in_scope
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Scope, resolve
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportOption, ReportSpec
from salesscope.warehouse.derived_activity import ACTIVITY_DAYS, ACTIVITY_FACTS, ACTIVITY_GAPS, GAP_MIN_S
from salesscope.warehouse.store import Warehouse

NAME = "worktime"
TITLE = "Work time per manager per day"
SUMMARY = ("Per manager per working day: first and last action (local HH:MM), active minutes, "
           "breaks longer than --break-min with start and length, lunch marked, and days "
           "without any action shown as absent."
           + FILTERS_NOTE)
BREAK_MIN = 15

COLUMNS = (
    ColumnSpec("manager", "Manager", "string", "The person (full CRM name)."),
    ColumnSpec("manager_id", "Manager id", "integer", "CRM id of the person."),
    ColumnSpec("team", "Team", "string", "The person's team."),
    ColumnSpec("day", "Day", "string", "Account-local date, YYYY-MM-DD."),
    ColumnSpec("weekday", "Weekday", "string", "Mon ... Sun."),
    ColumnSpec("status", "Status", "string", "present (at least one action that day) or absent "
               "(a working day Mon-Fri without any action)."),
    ColumnSpec("first_action", "First action", "string", "Local time (HH:MM) of the day's first "
               "action by the person."),
    ColumnSpec("last_action", "Last action", "string", "Local time (HH:MM) of the day's last "
               "action by the person."),
    ColumnSpec("active_minutes", "Active, min", "integer", "Minutes from the first to the last "
               "action, less every break (lunch included)."),
    ColumnSpec("actions", "Actions", "integer", "Actions the person took that day (rows of the "
               "event list with the person as author)."),
    ColumnSpec("breaks", "Breaks", "integer", "Gaps between two consecutive actions longer than "
               "--break-min minutes (lunch included)."),
    ColumnSpec("break_minutes", "Breaks, min", "integer", "Total length of those breaks."),
    ColumnSpec("lunch", "Lunch", "string", "The break that overlaps the lunch hours "
               "(settings lunch_start-lunch_end) the most, as HH:MM-HH:MM; empty when none does."),
    ColumnSpec("lunch_minutes", "Lunch, min", "integer", "Length of that break."),
    ColumnSpec("break_list", "Break list", "string", "Every break: start-end (local) and length "
               "in minutes; the lunch break marked."),
    ColumnSpec("drill", "Drill", "string", "The actions behind Actions, as REPORT?QUERY "
               "(events?from=DAY&to=DAY&manager=ID&authored=true: the page /reports/events?… or "
               "`salesscope report events --from DAY --to DAY --manager ID --authored`)."),
)
OPTIONS = (ReportOption("break_min", int, BREAK_MIN,
                        "a gap between two actions longer than this many minutes is a break"),)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


Break = tuple[int, int, int, str, str]
"""A gap longer than the threshold: (start, end as local seconds of the day; length in seconds;
start, end as HH:MM). Plain tuples: at 90,000 breaks a month, named ones cost 0.15 s more."""


@dataclass
class Day:
    """One person's working day as read from the actions."""

    first: str
    last: str
    span_s: float
    """Elapsed seconds from the first to the last action."""
    actions: int
    breaks: list[Break] = field(default_factory=list)
    """In time order."""


def worktime(wh: Warehouse, filters: Filters) -> ReportResult:
    """A row per listed person per working day of the period."""
    scope = resolve(wh, filters, SPEC.groupings)
    break_min = int(filters.option("break_min", BREAK_MIN))
    if break_min * 60 < GAP_MIN_S:
        raise FilterError("--break-min", str(break_min), ["a whole number of minutes, 1 or more"],
                          reason="invalid --break-min")
    days = _days(wh, scope)
    for key, found in _breaks(wh, scope, break_min * 60):
        days[key].breaks.append(found)
    spans_ = spans(wh, scope)
    pool = people.everyone(scope, {p for p, _ in days}, spans_.by_person)
    lunch = _lunch_hours(wh)
    worked = _by_person(days)
    rows = []
    for person in people.listed(scope, pool):
        for day in person_days(scope, spans_, person, worked.get(person, ())):
            rows.append(_row(scope, person, day, days.get((person, day)), lunch))
    return ReportResult.from_rows(NAME, TITLE, COLUMNS, rows, filters.describe(), wh.data_as_of())


def _actions(facts: ir.Table, scope: Scope, *more: ir.BooleanValue) -> ir.Table:
    """The scope's actions that have an author (the person's own work)."""
    return in_scope(facts, scope, "author_id", facts.author_id.notnull(), *more)


def _days(wh: Warehouse, scope: Scope) -> dict[tuple[int | None, dt.date], Day]:
    """First and last action and the count per person and local day: read from the per-day
    table materialised at load time, or with a deal filter grouped from the actions."""
    if has_deal_filter(scope):
        t = _actions(activity_table(wh, ACTIVITY_FACTS), scope)
        t = t.group_by(["author_id", "day"]).aggregate(
            first_at=t["at"].min(), last_at=t["at"].max(), first_local=t.at_local.min(),
            last_local=t.at_local.max(), actions=t.count(),
        )
    else:
        t = in_scope(activity_table(wh, ACTIVITY_DAYS), scope, person="author_id")
    found = t.to_pyarrow()
    spans_s = pc.subtract(found["last_at"], found["first_at"]).cast(pa.int64()).to_pylist()
    return {
        (person, day): Day(first, last, span_us / 1e6, actions)
        for person, day, first, last, span_us, actions in zip(
            found["author_id"].to_pylist(), found["day"].to_pylist(),
            _clock(found["first_local"])[1], _clock(found["last_local"])[1], spans_s,
            found["actions"].to_pylist(), strict=True)
    }


def _clock(moments: pa.ChunkedArray) -> tuple[list[int], list[str]]:
    """Local timestamps as seconds since midnight and as HH:MM, converted by Arrow at once."""
    seconds = pc.add(pc.add(pc.multiply(pc.hour(moments), 3600), pc.multiply(pc.minute(moments), 60)),
                     pc.second(moments))
    return seconds.to_pylist(), pc.strftime(moments, format="%H:%M").to_pylist()


def _breaks(wh: Warehouse, scope: Scope, longer_than_s: int
            ) -> list[tuple[tuple[int | None, dt.date], Break]]:
    """Every gap longer than ``longer_than_s`` between a person's consecutive actions of a day,
    in time order.

    Without a deal filter the gaps are the stored ones; with one, the gaps between the remaining
    actions are computed here with a window function.
    """
    if has_deal_filter(scope):
        t = _actions(activity_table(wh, ACTIVITY_FACTS), scope)
        window = ibis.window(group_by=[t.author_id, t.day], order_by=[t["at"], t.origin, t.id])
        t = t.mutate(
            gap_s=(t["at"].epoch_seconds() - t["at"].lag().over(window).epoch_seconds()).cast("int64"),
            gap_start=t.at_local.lag().over(window), gap_end=t.at_local,
        )
        t = t.filter(t.gap_s > longer_than_s)
    else:
        gaps = activity_table(wh, ACTIVITY_GAPS)
        t = in_scope(gaps, scope, "author_id", gaps.gap_s > longer_than_s)
    found = t.select("author_id", "day", "gap_start", "gap_end", "gap_s", "at").to_pyarrow()
    found = found.sort_by([("author_id", "ascending"), ("at", "ascending")])
    start_s, start = _clock(found["gap_start"])
    end_s, end = _clock(found["gap_end"])
    return [((person, day), (s0, s1, length, t0, t1)) for person, day, s0, s1, length, t0, t1
            in zip(found["author_id"].to_pylist(), found["day"].to_pylist(), start_s, end_s,
                   found["gap_s"].to_pylist(), start, end, strict=True)]


def _row(scope: Scope, person: int | None, day: dt.date, seen: Day | None,
         lunch_hours: tuple[dt.time, dt.time]) -> dict[str, Any]:
    identity = people.identity(scope, person)
    row: dict[str, Any] = {
        "manager": identity["manager"], "manager_id": person, "team": identity["team"],
        "day": day.isoformat(), "weekday": _WEEKDAYS[day.weekday()],
        "status": "present" if seen else "absent",
    }
    # The person's own actions that day (clients' messages credited to them are not their work).
    listed = activity_drill.query("events", activity_drill.person_filters(scope, person, day), authored=True)
    if seen is None:
        return {**row, "first_action": None, "last_action": None, "active_minutes": 0,
                "actions": 0, "breaks": 0, "break_minutes": 0, "lunch": None,
                "lunch_minutes": None, "break_list": None, "drill": listed}
    lunch = _lunch(seen.breaks, lunch_hours)
    away = sum(length for _, _, length, _, _ in seen.breaks)
    return {
        **row,
        "first_action": seen.first,
        "last_action": seen.last,
        "active_minutes": minutes(seen.span_s - away),
        "actions": seen.actions,
        "breaks": len(seen.breaks),
        "break_minutes": minutes(away),
        "lunch": f"{lunch[3]}–{lunch[4]}" if lunch else None,
        "lunch_minutes": minutes(lunch[2]) if lunch else None,
        "break_list": "; ".join(_described(item, item is lunch) for item in seen.breaks) or None,
        "drill": listed,
    }


def _described(item: Break, lunch: bool) -> str:
    """One break as the break list shows it: ``12:55–14:05 (70 min, lunch)``."""
    _, _, length, start, end = item
    return f"{start}–{end} ({minutes(length)} min{', lunch' if lunch else ''})"


def _lunch_hours(wh: Warehouse) -> tuple[dt.time, dt.time]:
    """Settings lunch_start and lunch_end (kept with the catalog)."""
    return per_catalog(wh, "lunch_hours", lambda: (settings.get(wh, "lunch_start"),
                                                   settings.get(wh, "lunch_end")))


def _lunch(breaks: list[Break], hours: tuple[dt.time, dt.time]) -> Break | None:
    """The break overlapping the lunch hours the most (the earlier on a tie), if any does."""
    lunch_start, lunch_end = (t.hour * 3600 + t.minute * 60 + t.second for t in hours)
    best, best_overlap = None, 0
    for item in breaks:
        overlap = min(item[1], lunch_end) - max(item[0], lunch_start)
        if overlap > best_overlap:
            best, best_overlap = item, overlap
    return best


def _by_person(days: dict[tuple[int | None, dt.date], Day]) -> dict[int | None, list[dt.date]]:
    out: dict[int | None, list[dt.date]] = defaultdict(list)
    for person, day in days:
        out[person].append(day)
    return out


SPEC = ReportSpec(NAME, TITLE, SUMMARY, (), worktime, OPTIONS)
