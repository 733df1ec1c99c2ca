"""Report periods: a month, ISO week, quarter, year or explicit date range, in account-local days.

A period is a half-open range of local dates ``[start, end)``. It becomes a UTC instant range only
against an account timezone (``utc_bounds``), so "May" means May in Kyiv, not in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from salesscope.reports.errors import FilterError

PERIOD_FORMS = "YYYY-MM, YYYY-Www, YYYY-Qn or YYYY (e.g. 2026-05, 2026-W19, 2026-Q2, 2026)"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-[Ww](\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` (inclusive) to ``end`` (exclusive), with the label the user gave."""

    start: dt.date
    end: dt.date
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``--period``; a malformed value names itself and the valid forms."""
        value = text.strip()
        try:
            if m := _MONTH.match(value):
                year, month = int(m[1]), int(m[2])
                start = dt.date(year, month, 1)
                return cls(start, _add_months(start, 1), value)
            if m := _WEEK.match(value):
                start = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
                return cls(start, start + dt.timedelta(days=7), value.upper())
            if m := _QUARTER.match(value):
                start = dt.date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
                return cls(start, _add_months(start, 3), value.upper())
            if m := _YEAR.match(value):
                start = dt.date(int(m[1]), 1, 1)
                return cls(start, dt.date(start.year + 1, 1, 1), value)
        except ValueError:
            pass
        raise FilterError("period", text, [PERIOD_FORMS])

    @classmethod
    def between(cls, date_from: str | None, date_to: str | None) -> Period:
        """``--from``/``--to`` (both inclusive, YYYY-MM-DD); an open end is unbounded."""
        start = _parse_date("from", date_from) if date_from else dt.date(1970, 1, 1)
        last = _parse_date("to", date_to) if date_to else dt.date(9998, 12, 31)
        if last < start:
            raise FilterError("to", date_to or "", [f"a date on or after {start.isoformat()}"])
        label = f"{date_from or '…'}..{date_to or '…'}"
        return cls(start, last + dt.timedelta(days=1), label)

    def utc_bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """The period as naive UTC instants ``[start, end)`` for an account timezone."""
        zone = ZoneInfo(timezone)
        return _local_midnight_utc(self.start, zone), _local_midnight_utc(self.end, zone)

    def describe(self) -> dict[str, str]:
        return {"label": self.label, "from": self.start.isoformat(),
                "to": (self.end - dt.timedelta(days=1)).isoformat()}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _parse_date(field: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(field, text, ["a date YYYY-MM-DD"]) from None


def _local_midnight_utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def month_of(day: dt.date) -> Period:
    """The calendar month containing ``day``."""
    start = day.replace(day=1)
    return Period(start, _add_months(start, 1), start.strftime("%Y-%m"))


def last_full_month(today: dt.date) -> Period:
    """The last full calendar month before ``today`` (the demo's seed month)."""
    return month_of(today.replace(day=1) - dt.timedelta(days=1))
