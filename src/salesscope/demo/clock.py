"""The demo's calendar: which months it covers, and local wall-clock seconds to UTC.

Internally every moment is an integer count of *local wall-clock* seconds since the first day of
the history (00:00 Europe/Kyiv): working hours, lunch and month buckets are then plain
arithmetic. Only when a table is written are moments converted to UTC, hour by hour through
``zoneinfo``, so daylight-saving changes land exactly where Kyiv has them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

TIMEZONE = "Europe/Kyiv"
KYIV = ZoneInfo(TIMEZONE)
HISTORY_MONTHS = 13
"""Full months of history before the seed month."""
DAY_END = dt.time(18, 0)
"""Data stops at this local time on ``today``."""
DAY_S = 86_400
HOUR_S = 3_600
_TAIL_DAYS = 45
"""Days after ``today`` covered by the UTC table (for due dates of open tasks)."""


def add_months(day: dt.date, months: int) -> dt.date:
    """First day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def seed_month_of(today: dt.date) -> dt.date:
    """The last full calendar month before ``today`` (its first day)."""
    return add_months(today, -1)


def kyiv_now(now_utc: dt.datetime) -> dt.datetime:
    """A UTC instant (naive or aware) as naive Kyiv wall-clock time."""
    aware = now_utc if now_utc.tzinfo else now_utc.replace(tzinfo=dt.UTC)
    return aware.astimezone(KYIV).replace(tzinfo=None)


@dataclass(frozen=True)
class DemoCalendar:
    """The months the demo covers and the conversion of local seconds to UTC."""

    today: dt.date
    cutoff_s: int
    """Nothing happens at or after this moment (local seconds)."""
    month_starts: tuple[dt.date, ...]
    """First days of every covered month, then of the month after ``today``'s."""
    offsets_s: np.ndarray
    """UTC offset of each local hour since the epoch, seconds."""

    @classmethod
    def for_today(cls, today: dt.date, now_local: dt.datetime | None = None) -> DemoCalendar:
        """The calendar ending at ``today`` 18:00 local, or at ``now_local`` when earlier."""
        start = add_months(seed_month_of(today), -HISTORY_MONTHS)
        months = tuple(add_months(start, k) for k in range(HISTORY_MONTHS + 3))
        epoch = dt.datetime.combine(start, dt.time())
        cutoff = dt.datetime.combine(today, DAY_END)
        if now_local is not None and now_local < cutoff:
            cutoff = now_local
        hours = ((today - start).days + _TAIL_DAYS) * 24
        offsets = np.fromiter(
            (
                (epoch + dt.timedelta(hours=h)).replace(tzinfo=KYIV).utcoffset().total_seconds()  # type: ignore[union-attr]
                for h in range(hours)
            ),
            dtype=np.int64,
            count=hours,
        )
        return cls(today, int((cutoff - epoch).total_seconds()), months, offsets)

    @property
    def epoch(self) -> dt.datetime:
        return dt.datetime.combine(self.month_starts[0], dt.time())

    @property
    def seed_month(self) -> dt.date:
        return self.month_starts[HISTORY_MONTHS]

    @property
    def seed_index(self) -> int:
        """Index of the seed month in ``month_starts``."""
        return HISTORY_MONTHS

    @property
    def n_months(self) -> int:
        """Covered months: the history, the seed month and ``today``'s partial month."""
        return HISTORY_MONTHS + 2

    @property
    def n_days(self) -> int:
        """Days from the epoch through ``today``."""
        return (self.today - self.month_starts[0]).days + 1

    def seconds(self, moment: dt.datetime | dt.date) -> int:
        """Local seconds since the epoch of a local wall-clock moment (a date means 00:00)."""
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time())
        return int((moment - self.epoch).total_seconds())

    def month_bounds(self) -> np.ndarray:
        """Local seconds of every month start, ``n_months + 1`` values."""
        return np.array([self.seconds(m) for m in self.month_starts], dtype=np.int64)

    def month_of(self, local_s: np.ndarray) -> np.ndarray:
        """Index of the covered month each moment falls in."""
        return np.searchsorted(self.month_bounds(), local_s, side="right") - 1

    def to_utc(self, local_s: np.ndarray) -> np.ndarray:
        """Local seconds as naive UTC ``datetime64[us]`` values."""
        hour = np.clip(local_s // HOUR_S, 0, len(self.offsets_s) - 1)
        utc_s = local_s - self.offsets_s[hour]
        utc: np.ndarray = (np.datetime64(self.epoch, "s") + utc_s.astype("timedelta64[s]"))
        return utc.astype("datetime64[us]")

    def utc_instant(self, local: dt.datetime) -> dt.datetime:
        """A local wall-clock moment as a naive UTC datetime."""
        return local.replace(tzinfo=KYIV).astimezone(dt.UTC).replace(tzinfo=None)

    def local_datetime(self, local_s: int) -> dt.datetime:
        """Local seconds back to a naive local datetime."""
        return self.epoch + dt.timedelta(seconds=int(local_s))
