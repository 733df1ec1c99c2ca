"""The calls report's other two layouts: the week's day × hour table and the list of calls.

Kept apart from ``calls`` so that module holds the definitions and the per-manager layout; the
counts here are the same (``activity_call_counts``), grouped differently.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from salesscope.reports.activity_cache import compiled_arrow
from salesscope.reports.activity_call_counts import counted
from salesscope.reports.activity_people import person_name
from salesscope.reports.events import crm_link, parse_limit
from salesscope.reports.filters import Scope
from salesscope.reports.result import ColumnSpec
from salesscope.warehouse.store import Warehouse

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

HOUR_COLUMNS = (
    ColumnSpec("weekday", "Weekday", "integer", "Account-local ISO day of the week: 1 = Monday "
               "... 7 = Sunday."),
    ColumnSpec("weekday_name", "Day", "string", "Mon ... Sun."),
    ColumnSpec("hour", "Hour", "integer", "Account-local hour the call started, 0-23 (every hour "
               "in which any call of the period started, on every day of the week)."),
    ColumnSpec("calls", "Calls", "integer", "Calls that started in this hour of this weekday, "
               "over the whole period."),
    ColumnSpec("incoming", "Incoming", "integer", "Of them, direction in."),
    ColumnSpec("outgoing", "Outgoing", "integer", "Of them, direction out."),
    ColumnSpec("answered", "Answered", "integer", "Of them, status answered."),
    ColumnSpec("missed", "Missed", "integer", "Of them, any other status."),
    ColumnSpec("effective_calls", "Effective calls", "integer", "Of them, at least "
               "--min-duration seconds long."),
    ColumnSpec("total_duration_s", "Talk time", "integer", "Sum of their duration_s.", "s"),
)
_HOUR_VALUES = ("calls", "incoming", "outgoing", "answered", "missed", "effective_calls",
                "total_duration_s")

LIST_COLUMNS = (
    ColumnSpec("at", "At", "datetime", "When the call started, account-local time."),
    ColumnSpec("manager", "Manager", "string", "The manager on the call."),
    ColumnSpec("manager_id", "Manager id", "integer", "CRM id of the manager."),
    ColumnSpec("direction", "Direction", "string", "in or out."),
    ColumnSpec("status", "Status", "string", "The CRM's call status."),
    ColumnSpec("answered", "Answered", "boolean", "Status answered: a conversation took place."),
    ColumnSpec("duration_s", "Duration", "integer", "Talk time.", "s"),
    ColumnSpec("effective", "Effective", "boolean", "At least --min-duration seconds long."),
    ColumnSpec("phone", "Phone", "string", "The other party's number."),
    ColumnSpec("deal_id", "Deal id", "integer", "The deal it concerns, if any."),
    ColumnSpec("deal", "Deal", "string", "The deal's name."),
    ColumnSpec("contact", "Contact", "string", "The contact's name."),
    ColumnSpec("link", "CRM link", "string", "The deal's (else the contact's) card in the CRM; "
               "empty when the account has no CRM address."),
    ColumnSpec("recording_url", "Recording", "string", "Link to the recording, when there is one."),
    ColumnSpec("id", "Call id", "integer", "calls.id."),
)
_LIST_READ = ("id", "at_local", "author_id", "direction", "status", "answered", "duration_s", "phone",
              "deal_id", "deal_name", "contact_id", "contact_name", "recording_url")


def hour_rows(grouped: pa.Table, drill_of: Callable[[int, int], str | None],
              drill_column: ColumnSpec) -> tuple[Sequence[ColumnSpec], list[dict[str, Any]]]:
    """Every weekday × every hour with a call, zeros included, from the calls counted per
    (weekday, hour) in ``grouped`` (one grouped scan). Each cell's ``drill`` is
    ``drill_of(weekday, hour)``, described by ``drill_column``."""
    table = grouped.to_pylist()
    found = {(r["weekday"], r["hour"]): counted(r) for r in table}
    hours = sorted({h for _, h in found})
    empty = counted({})
    rows = []
    for weekday in range(1, 8):
        for hour in hours:
            counts = found.get((weekday, hour), empty)
            rows.append({"weekday": weekday, "weekday_name": WEEKDAYS[weekday - 1], "hour": hour,
                         **{c: counts[c] for c in _HOUR_VALUES}, "drill": drill_of(weekday, hour)})
    return (*HOUR_COLUMNS, drill_column), rows


def list_columns(wh: Warehouse, scope: Scope, calls: Callable[[], ir.Table], key: Hashable,
                 min_duration: int, limit: int) -> dict[str, Any]:
    """The calls themselves, newest first (the ``limit`` newest when given), column by column.

    ``calls()`` builds the listed calls' table; ``key`` names what it depends on, so that its
    SQL is compiled once (``compiled_arrow``)."""
    limit = parse_limit(limit)

    def listed() -> ir.Table:
        t = calls().order_by([ibis.desc("at"), ibis.desc("id")]).select(*_LIST_READ)
        return t.limit(limit) if limit else t

    found = compiled_arrow(wh, ("calls list", key, limit), listed)
    account = wh.account()
    base = account.base_url.rstrip("/") if account and account.base_url else None
    deals, contacts = found["deal_id"].to_pylist(), found["contact_id"].to_pylist()
    return {
        "at": found["at_local"],
        "manager": [person_name(scope, a) for a in found["author_id"].to_pylist()],
        "manager_id": found["author_id"],
        "direction": found["direction"],
        "status": found["status"],
        "answered": found["answered"],
        "duration_s": found["duration_s"],
        "effective": [d >= min_duration for d in found["duration_s"].to_pylist()],
        "phone": found["phone"],
        "deal_id": found["deal_id"],
        "deal": found["deal_name"],
        "contact": found["contact_name"],
        "link": [crm_link(base, d, c) for d, c in zip(deals, contacts, strict=True)],
        "recording_url": found["recording_url"],
        "id": found["id"],
    }
