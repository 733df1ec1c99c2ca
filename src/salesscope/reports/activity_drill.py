"""Drill-down for the activity reports: the actions or calls behind each count, as a report query.

The deal-based reports drill into ``salesscope deals`` (``reports.drill``). An action count is not
a count of deals — a manager's 14 notes may be on 3 deals — so the employee and work-time rows
drill into the event list, and the calls rows into the list of calls: the rows behind a count are
exactly the rows of that list, one per action or call.

A row's ``drill`` is written ``REPORT?QUERY`` (``events?period=2026-05&manager=7``): the dashboard
page ``/reports/REPORT?QUERY`` and the command ``salesscope report REPORT`` with the query's keys as
options (``--period 2026-05 --manager 7``). It lists the row's whole count (all actions, all calls);
``for_column`` narrows it to one column's (``&kind=call_in``, ``&direction=in``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from salesscope.reports import drill
from salesscope.reports.filters import Filters, Scope
from salesscope.reports.period import Period

EVENTS = "events"
CALLS = "calls"
PROPOSAL = "proposal"
"""``events --to-stage proposal``: the proposal stage of every pipeline (as proposals are counted)."""

# (report, column) -> the options the column adds to its row's drill.
_COLUMNS: dict[tuple[str, str], dict[str, str]] = {
    ("employees", "actions"): {},
    ("employees", "deals_created"): {"kind": "deal_created"},
    ("employees", "stage_changes"): {"kind": "stage_change"},
    ("employees", "proposals_sent"): {"kind": "stage_change", "to_stage": PROPOSAL},
    ("employees", "calls_in"): {"kind": "call_in"},
    ("employees", "calls_out"): {"kind": "call_out"},
    ("employees", "messages_in"): {"kind": "message_in"},
    ("employees", "messages_out"): {"kind": "message_out"},
    ("employees", "notes"): {"kind": "note"},
    ("employees", "tasks_created"): {"kind": "task_created"},
    ("employees", "tasks_completed"): {"kind": "task_completed"},
    ("calls", "calls"): {},
    ("calls", "incoming"): {"direction": "in"},
    ("calls", "outgoing"): {"direction": "out"},
    ("calls", "answered"): {"outcome": "answered"},
    ("calls", "missed"): {"outcome": "missed"},
    ("calls", "effective_calls"): {"effective": "true"},
    ("worktime", "actions"): {},
}
DRILLED = frozenset(_COLUMNS)
"""Every (report, column) whose number opens as a list."""


def person_filters(scope: Scope, person: int | None, day: dt.date | None = None) -> Filters | None:
    """The filters of one person's row (on one local day, if given): the scope's period and deal
    filters, the person by CRM id; None for a row of nobody (no list reproduces it)."""
    if person is None:
        return None
    base = replace(drill.scope_filters(scope), managers=(str(person),), teams=())
    if day is not None:
        base = replace(base, period=Period.between(day.isoformat(), day.isoformat()))
    return base


def query(report: str, filters: Filters | None, **options: object) -> str | None:
    """``REPORT?QUERY`` listing what ``filters`` and ``options`` select (None without filters).

    Options at None or False are left out; True is written ``true``.
    """
    if filters is None:
        return None
    pairs = [(k, "true" if v is True else str(v)) for k, v in options.items()
             if v is not None and v is not False]
    text = drill.query(filters)
    extra = urlencode(pairs)
    return f"{report}?{text}{'&' if text and extra else ''}{extra}"


_SOMEONE = 8080808080808080
"""A stand-in person id (digits: written as is) for writing a drill once for many people."""


def person_drills(report: str, scope: Scope, persons: Sequence[int | None], day: dt.date | None = None,
                  options: Mapping[str, object] | None = None) -> list[str | None]:
    """``query(report, person_filters(scope, p, day), **options)`` for every person ``p``, the
    query written once (hundreds of managers at 10M actions: 7 ms one by one)."""
    template = query(report, person_filters(scope, _SOMEONE, day), **(options or {})) or ""
    return _filled(template, persons)


def manager_queries(base: Filters, owners: Sequence[int | None]) -> list[str | None]:
    """``drill.query(base with manager=o)`` (a deal list) for every owner ``o``, written once."""
    return _filled(drill.query(replace(base, managers=(str(_SOMEONE),))), owners)


def _filled(template: str, persons: Sequence[int | None]) -> list[str | None]:
    stand_in = f"manager={_SOMEONE}"
    return [template.replace(stand_in, f"manager={p}") if p is not None else None for p in persons]


def for_column(report: str, column: str, row_drill: str) -> str | None:
    """The list behind one column of a row whose ``drill`` is ``row_drill``; None for a column
    that is not a count of listed things (minutes, medians, ratios)."""
    changes = _COLUMNS.get((report, column))
    if changes is None or "?" not in row_drill:
        return None
    _, pairs = split(row_drill)
    given = dict(pairs)
    if any(given.get(key, value) != value for key, value in changes.items()):
        return None  # the row is already narrowed otherwise (calls --direction out: no incoming)
    extra = urlencode([(k, v) for k, v in changes.items() if k not in given])
    joint = "&" if extra and not row_drill.endswith("?") else ""
    return f"{row_drill}{joint}{extra}"


def split(drilled: str) -> tuple[str, list[tuple[str, str]]]:
    """``REPORT?QUERY`` as the report's name and the query's pairs (for running it)."""
    report, _, text = drilled.partition("?")
    return report, parse_qsl(text, keep_blank_values=True)
