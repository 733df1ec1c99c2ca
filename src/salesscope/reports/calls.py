"""Calls: who calls how much and how well, when in the week, and the calls themselves.

Read from the call log (``calls``, materialised with local time as ``call_facts``), credited to
the manager on the call. Kommo's call statuses are mapped to two outcomes so that
answered + missed = calls (``derived_activity.ANSWERED_STATUSES``): **answered** is status
``answered`` (a conversation took place); **missed** is every other status — ``missed``,
``busy``, ``voicemail`` (no one picked up: the message left is not a conversation) and any other
the CRM reports. An *effective* call is one of at least ``--min-duration`` seconds, whatever its
status, because a short answered call is rarely a conversation. Three layouts: per manager
(default; every listed manager, zeros included), the week's day × hour table (``--by hour``) and
the list of calls with recordings (``--list``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import ibis.expr.types as ir

from salesscope.reports import activity_drill, drill
from salesscope.reports import activity_people as people
from salesscope.reports.activity_cache import activity_table, compiled_arrow, scope_key
from salesscope.reports.activity_calendar import spans, working_days
from salesscope.reports.activity_call_counts import metrics, summed
from salesscope.reports.activity_call_layouts import LIST_COLUMNS, hour_rows, list_columns
from salesscope.reports.activity_result import from_columns
from salesscope.reports.activity_scope import FILTERS_NOTE, has_deal_filter, in_scope, period_days
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Scope, resolve
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportOption, ReportSpec
from salesscope.warehouse.derived_activity import CALL_DAY_COUNTS, CALL_FACTS, EFFECTIVE_CALL_S
from salesscope.warehouse.store import Warehouse

NAME = "calls"
TITLE = "Calls per manager"
SUMMARY = ("Per manager: incoming, outgoing, answered and missed calls, talk time, effective calls "
           "(at least --min-duration seconds) and calls per working day; --by hour gives the "
           "day-of-week × hour table, --list the calls with recording links." + FILTERS_NOTE)
MIN_DURATION = EFFECTIVE_CALL_S
ALL = "all"
_DRILL = ColumnSpec("drill", "Drill", "string", "The calls behind Calls, as REPORT?QUERY "
                    "(calls?period=…&manager=ID&list=true: the page /reports/calls?… or `salesscope "
                    "report calls --period … --manager ID --list`); each count adds its --direction, "
                    "--outcome or --effective.")
_HOUR_DRILL = ColumnSpec("drill", "Drill", "string", "The calls behind Calls in this hour of this "
                         "weekday, as REPORT?QUERY (calls?period=…&list=true&weekday=D&hour=H: the "
                         "page /reports/calls?… or `salesscope report calls --period … --list "
                         "--weekday D --hour H`); each count adds its --direction, --outcome or "
                         "--effective.")

COLUMNS = (
    ColumnSpec("manager", "Manager", "string", "The manager on the call; Total for the listed "
               "managers together."),
    ColumnSpec("manager_id", "Manager id", "integer", "CRM id of the manager."),
    ColumnSpec("team", "Team", "string", "The manager's team."),
    ColumnSpec("row_kind", "Row", "string", "manager or total."),
    ColumnSpec("calls", "Calls", "integer", "Calls in the period, incoming and outgoing."),
    ColumnSpec("incoming", "Incoming", "integer", "Calls with direction in."),
    ColumnSpec("outgoing", "Outgoing", "integer", "Calls with direction out."),
    ColumnSpec("answered", "Answered", "integer", "Calls with status answered: a conversation "
               "took place."),
    ColumnSpec("missed", "Missed", "integer", "Every other call: missed, busy, voicemail or any "
               "other status; answered + missed = calls."),
    ColumnSpec("total_duration_s", "Talk time", "integer", "Sum of duration_s of all calls "
               "(voicemail messages included).", "s"),
    ColumnSpec("avg_duration_s", "Avg answered call", "number", "Mean duration_s of the answered "
               "calls (missed ones would only drag it towards zero); empty without any.", "s"),
    ColumnSpec("effective_calls", "Effective calls", "integer", "Calls of at least --min-duration "
               "seconds (default 60), whatever their status."),
    ColumnSpec("working_days", "Working days", "integer", "Monday-Friday days of the period, up "
               "to the last day of data, from the manager's first action ever and (for a "
               "deactivated user) to the last: the days work time lists."),
    ColumnSpec("calls_per_day", "Calls per day", "number", "Calls / working days (a day off "
               "with no calls counts: it is a working day without calls); empty without any."),
    _DRILL,
)

OPTIONS = (
    ReportOption("min_duration", int, MIN_DURATION,
                 "a call of at least this many seconds is effective"),
    ReportOption("list", bool, False, "list the calls themselves, newest first, with recordings"),
    ReportOption("limit", int, 0, "with --list: at most N calls, the newest (0: every call)"),
    ReportOption("direction", str, ALL, "only calls in this direction: in, out (or all)"),
    ReportOption("outcome", str, ALL, "only answered or only missed calls (or all)"),
    ReportOption("effective", bool, False, "only effective calls (at least --min-duration seconds)"),
    ReportOption("weekday", str, ALL, "only calls started on this account-local ISO weekday: 1 = Monday "
                 "... 7 = Sunday (or all)"),
    ReportOption("hour", str, ALL, "only calls started in this account-local hour, 0-23 (or all)"),
)
_DIRECTIONS = (ALL, "in", "out")
_OUTCOMES = (ALL, "answered", "missed")


def calls(wh: Warehouse, filters: Filters) -> ReportResult:
    """Calls per manager, per weekday and hour (``--by hour``) or one by one (``--list``)."""
    scope = resolve(wh, filters, SPEC.groupings)
    min_duration = int(filters.option("min_duration", MIN_DURATION))
    if min_duration < 0:
        raise FilterError("--min-duration", str(min_duration), ["0 or more seconds"],
                          reason="invalid --min-duration")
    listing = bool(filters.option("list", False))
    if listing and filters.by == "hour":
        raise FilterError("--by", "hour", ["manager (or no --by) with --list"],
                          reason="--list lists calls one by one; it takes no grouping")
    narrowed = _Narrowed(_choice(filters, "direction", _DIRECTIONS), _choice(filters, "outcome", _OUTCOMES),
                         bool(filters.option("effective", False)), min_duration,
                         _slot(filters, "weekday", 1, 7), _slot(filters, "hour", 0, 23))
    if filters.by != "hour" and not listing:
        return from_columns(NAME, TITLE, COLUMNS, _manager_columns(wh, scope, narrowed),
                            filters.describe(), wh.data_as_of())

    def scoped() -> ir.Table:
        t = activity_table(wh, CALL_FACTS)
        return in_scope(t, scope, "author_id", *narrowed.where(t))

    # What the SQL depends on, for compiling it once (Ibis compiling the list's query took ~5 ms,
    # more than reading a manager's month of calls).
    key = (scope_key(scope), period_days(scope), narrowed)
    if listing:
        values = list_columns(wh, scope, scoped, key, min_duration, int(filters.option("limit", 0)))
        return from_columns(NAME, "Calls", LIST_COLUMNS, values, filters.describe(),
                            wh.data_as_of())

    def by_hour() -> ir.Table:
        t = scoped()
        return t.group_by(["weekday", "hour"]).aggregate(**metrics(t, min_duration))

    columns, rows = hour_rows(compiled_arrow(wh, ("calls by hour", key), by_hour),
                              _hour_drill(scope, narrowed), _HOUR_DRILL)
    return ReportResult.from_rows(NAME, "Calls by day of the week and hour", columns, rows,
                                  filters.describe(), wh.data_as_of())


@dataclass(frozen=True)
class _Narrowed:
    """Which calls count: --direction, --outcome, --effective (at --min-duration), --weekday, --hour."""

    direction: str
    outcome: str
    effective: bool
    min_duration: int
    weekday: int | None = None
    hour: int | None = None

    def where(self, t: ir.Table) -> list[ir.BooleanValue]:
        """The conditions on call_facts (or, without --effective, call_day_counts) rows."""
        out = []
        if self.direction != ALL:
            out.append(t.incoming if self.direction == "in" else ~t.incoming)
        if self.outcome != ALL:
            out.append(t.answered if self.outcome == "answered" else ~t.answered)
        if self.effective:
            out.append(t.duration_s >= self.min_duration)
        if self.weekday is not None:
            out.append(t.weekday == self.weekday)
        if self.hour is not None:
            out.append(t.hour == self.hour)
        return out

    @property
    def by_slot(self) -> bool:
        """Whether a weekday or hour is asked (only ``call_facts`` has them)."""
        return self.weekday is not None or self.hour is not None

    def drill_options(self) -> dict[str, object]:
        """The same narrowing as options of ``calls --list`` (defaults left out)."""
        return {"list": True,
                "min_duration": self.min_duration if self.min_duration != MIN_DURATION else None,
                "direction": self.direction if self.direction != ALL else None,
                "outcome": self.outcome if self.outcome != ALL else None,
                "effective": self.effective,
                "weekday": self.weekday,
                "hour": self.hour}


def _choice(filters: Filters, name: str, choices: tuple[str, ...]) -> str:
    text = str(filters.option(name, ALL)).strip().lower()
    if text not in choices:
        raise FilterError("--" + name, text, list(choices))
    return text


def _slot(filters: Filters, name: str, low: int, high: int) -> int | None:
    """--weekday or --hour as a number in ``[low, high]``; None for all."""
    text = str(filters.option(name, ALL)).strip().lower()
    if text == ALL:
        return None
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise FilterError("--" + name, text, [f"{low}-{high}", ALL], reason=f"invalid --{name}")
    return int(text)


def _hour_drill(scope: Scope, narrowed: _Narrowed) -> Callable[[int, int], str | None]:
    """The drill of a weekday × hour cell: the row's narrowing plus the cell's weekday and hour
    (None for a cell the report's own --weekday or --hour rules out: it counts zero)."""
    options = replace(narrowed, weekday=None, hour=None).drill_options()
    base = activity_drill.query(NAME, drill.scope_filters(scope), **options)

    def cell(weekday: int, hour: int) -> str | None:
        if narrowed.weekday not in (None, weekday) or narrowed.hour not in (None, hour):
            return None
        return f"{base}&weekday={weekday}&hour={hour}"

    return cell


def _manager_columns(wh: Warehouse, scope: Scope, narrowed: _Narrowed) -> dict[str, list[Any]]:
    """A row per listed manager and the total, column by column. At the default --min-duration
    and without a deal filter, --effective, --weekday or --hour the sums are read from the calls
    counted per day at load time."""
    per_day = (narrowed.min_duration == EFFECTIVE_CALL_S and not narrowed.effective and not narrowed.by_slot
               and not has_deal_filter(scope))

    def per_manager() -> ir.Table:
        t = activity_table(wh, CALL_DAY_COUNTS if per_day else CALL_FACTS)
        t = in_scope(t, scope, "author_id", *narrowed.where(t))
        return t.group_by("author_id").aggregate(**(summed(t) if per_day else metrics(t, narrowed.min_duration)))

    # Compiled once (Ibis takes ~4x the scan to compile it): the overview runs it per day and week.
    key = ("calls per manager", scope_key(scope), period_days(scope), narrowed, per_day)
    table = compiled_arrow(wh, key, per_manager)
    ids = table["author_id"].to_pylist()
    spans_ = spans(wh, scope)
    shown = people.listed(scope, people.everyone(scope, set(ids), spans_.by_person))
    position = {person: i for i, person in enumerate(ids)}
    picked = [position.get(person) for person in shown]
    col = {name: _with_total(_picked(table[name].to_pylist(), picked)) for name in _SUMS}
    days = _with_total([working_days(scope, spans_, person) for person in shown])
    identities = [people.identity(scope, person) for person in shown]
    calls, answered = col["calls"], col["answered"]
    return {
        "manager": [i["manager"] for i in identities] + ["Total"],
        "manager_id": [*shown, None],
        "team": [i["team"] for i in identities] + [None],
        "row_kind": ["manager"] * len(shown) + ["total"],
        "calls": calls,
        "incoming": col["incoming"],
        "outgoing": [c - i for c, i in zip(calls, col["incoming"], strict=True)],
        "answered": answered,
        "missed": [c - a for c, a in zip(calls, answered, strict=True)],
        "total_duration_s": col["total_duration_s"],
        "avg_duration_s": [round(d / a, 1) if a else None
                           for d, a in zip(col["answered_duration_s"], answered, strict=True)],
        "effective_calls": col["effective_calls"],
        "working_days": days,
        "calls_per_day": [round(c / d, 2) if d else None for c, d in zip(calls, days, strict=True)],
        "drill": [*activity_drill.person_drills(NAME, scope, shown, options=narrowed.drill_options()),
                  activity_drill.query(NAME, drill.scope_filters(scope), **narrowed.drill_options())],
    }


_SUMS = ("calls", "incoming", "answered", "total_duration_s", "answered_duration_s", "effective_calls")
"""The sums ``metrics`` and ``summed`` name alike."""


def _picked(values: list[Any], positions: list[int | None]) -> list[int]:
    """The values at ``positions`` (0 where there is none: a manager without calls)."""
    return [values[i] or 0 if i is not None else 0 for i in positions]


def _with_total(values: list[int]) -> list[int]:
    return [*values, sum(values)]


SPEC = ReportSpec(NAME, TITLE, SUMMARY, ("manager", "hour"), calls, OPTIONS)
