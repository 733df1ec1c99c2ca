"""Working days of each person: which local days a report lists for them, present or absent.

A person's days run over the period (all of the data when no period is given), cut at the last day
of data, at the first day the person ever acted (nobody is absent before joining) and, for a
deactivated user, at the last day they acted (nobody is absent after leaving). Within that span
every Monday-Friday is a working day; a weekend day appears only when the person worked on it.
Public holidays are not known to the warehouse, so they read as absences.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from salesscope.reports.activity_cache import activity_table, per_catalog
from salesscope.reports.activity_scope import period_days
from salesscope.reports.filters import Scope
from salesscope.warehouse.derived_activity import ACTIVITY_DAYS
from salesscope.warehouse.store import Warehouse


@dataclass(frozen=True)
class Spans:
    """First and last local day each person acted, from ``activity_days``."""

    by_person: dict[int, tuple[dt.date, dt.date]]
    first_day: dt.date | None
    """The first day anyone acted: where "all time" starts."""
    last_data_day: dt.date | None
    """The local day the data is fresh as of (data_as_of), else the last day anyone acted."""


def spans(wh: Warehouse, scope: Scope) -> Spans:
    """Every person's span: one grouped read of the per-day table, kept with the catalog."""
    return per_catalog(wh, "spans", lambda: _read_spans(wh, scope.timezone))


def _read_spans(wh: Warehouse, timezone: str) -> Spans:
    t = activity_table(wh, ACTIVITY_DAYS)
    rows = t.group_by("author_id").aggregate(first=t.day.min(), last=t.day.max())
    by_person = {int(r["author_id"]): (r["first"], r["last"]) for r in rows.to_pyarrow().to_pylist()}
    as_of = wh.data_as_of()
    last = (as_of.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()
            if as_of is not None else max((s for _, s in by_person.values()), default=None))
    return Spans(by_person, min((f for f, _ in by_person.values()), default=None), last)


def person_days(scope: Scope, spans: Spans, person_id: int | None,
                worked: Iterable[dt.date] = ()) -> list[dt.date]:
    """The days a report lists for a person, in order: working days of their span within the
    period, plus any other day they worked (``worked``: days with actions in the period)."""
    first, last = _bounds(scope, spans, person_id)
    days = set(worked)
    if first is not None and last is not None:
        days |= set(weekdays(first, last))
    return sorted(days)


def working_days(scope: Scope, spans: Spans, person_id: int | None) -> int:
    """How many Monday-Friday days of the period lie within the person's span."""
    first, last = _bounds(scope, spans, person_id)
    return _weekday_count(first, last)


@functools.lru_cache(maxsize=4096)
def _weekday_count(first: dt.date | None, last: dt.date | None) -> int:
    if first is None or last is None or last < first:
        return 0
    whole_weeks, rest = divmod((last - first).days + 1, 7)
    return whole_weeks * 5 + sum((first.weekday() + k) % 7 < 5 for k in range(rest))


def _bounds(scope: Scope, spans: Spans, person_id: int | None
            ) -> tuple[dt.date | None, dt.date | None]:
    """First and last day a person's working days may fall on, within the period."""
    start, end = period_days(scope)
    span = spans.by_person.get(person_id) if person_id is not None else None
    person = scope.people.get(person_id) if person_id is not None else None
    first = span[0] if span else spans.first_day
    last = spans.last_data_day
    if person is not None and not person.active:
        last = span[1] if span else None
    if start is not None:
        first = max(first, start) if first else start
    if end is not None and last is not None:
        last = min(last, end - dt.timedelta(days=1))
    return first, last


def weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    """Monday-Friday dates from ``first`` to ``last`` inclusive."""
    count = (last - first).days + 1
    return [d for k in range(max(count, 0))
            if (d := first + dt.timedelta(days=k)).weekday() < 5]


def minutes(seconds: float) -> int:
    """Seconds as whole minutes, rounded half up."""
    return int(seconds // 60 + (1 if seconds % 60 >= 30 else 0))
