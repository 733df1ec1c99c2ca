"""Working time: Mon–Fri between ``work_start`` and ``work_end``, minus lunch (account settings).

Response times counted in plain hours punish a lead that arrives on Friday evening; counted in
working hours they measure the manager. The same calendar gives the elapsed share of a goal's
period. Holidays are not known to the warehouse and count as working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from salesscope import settings
from salesscope.warehouse.store import Warehouse

_EPOCH = np.datetime64("1970-01-05", "D")  # a Monday


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60


@dataclass(frozen=True)
class WorkingDay:
    """One working day's hours, in seconds after local midnight."""

    start_s: int
    end_s: int
    lunch_start_s: int
    lunch_end_s: int

    @classmethod
    def from_settings(cls, wh: Warehouse) -> WorkingDay:
        """The account's working hours (one read of the settings table)."""
        return cls.from_stored(settings.stored(wh))

    @classmethod
    def from_stored(cls, stored: dict[str, str]) -> WorkingDay:
        """The working hours from the settings table's raw values (defaults where unset); the
        load-time build of ``deal_progress`` reads them on its own connection."""
        def value(name: str) -> dt.time:
            setting, _ = settings.declared(name)
            parsed: dt.time = setting.parse(stored.get(name, setting.default))
            return parsed

        return cls.of(value("work_start"), value("work_end"), value("lunch_start"), value("lunch_end"))

    @classmethod
    def of(cls, start: dt.time, end: dt.time, lunch_start: dt.time, lunch_end: dt.time) -> WorkingDay:
        """Hours as given; a lunch outside the working hours is cut to them."""
        s, e = _seconds(start), max(_seconds(start), _seconds(end))
        ls = min(max(_seconds(lunch_start), s), e)
        le = min(max(_seconds(lunch_end), ls), e)
        return cls(s, e, ls, le)

    @property
    def length_s(self) -> int:
        """Working seconds in one working day."""
        return self.end_s - self.start_s - (self.lunch_end_s - self.lunch_start_s)

    def worked_by(self, second_of_day: np.ndarray) -> np.ndarray:
        """Working seconds of a working day that have passed at each local second of the day."""
        t = np.asarray(second_of_day, dtype=np.int64)
        lunch = np.clip(t, self.lunch_start_s, self.lunch_end_s) - self.lunch_start_s
        return np.clip(t, self.start_s, self.end_s) - self.start_s - lunch

    def clock(self, local: np.ndarray) -> np.ndarray:
        """Working seconds from a fixed Monday to each local time (``datetime64``, naive local)."""
        moments = np.asarray(local, dtype="datetime64[s]")
        days = moments.astype("datetime64[D]")
        whole_days = np.busday_count(_EPOCH, days)
        into = (moments - days).astype(np.int64)
        today = np.where(np.is_busday(days), self.worked_by(into), 0)
        return whole_days.astype(np.int64) * self.length_s + today

    def between_s(self, start_local: np.ndarray, end_local: np.ndarray) -> np.ndarray:
        """Working seconds between two local times, element-wise (0 when end is not later)."""
        elapsed: np.ndarray = np.maximum(self.clock(end_local) - self.clock(start_local), 0)
        return elapsed

    def elapsed_share(self, first: dt.date, last: dt.date, now_local: dt.datetime) -> float:
        """Share of the working time of the local days ``first``..``last`` that has passed by
        ``now_local``: 0 before the period, 1 after it, by working days (Mon–Fri) and hours."""
        begin = np.datetime64(first, "s")
        end = np.datetime64(last + dt.timedelta(days=1), "s")
        total = int(self.between_s(np.array([begin]), np.array([end]))[0])
        if total == 0:
            return 1.0 if now_local.date() > last else 0.0
        now = min(max(np.datetime64(now_local, "s"), begin), end)
        return int(self.between_s(np.array([begin]), np.array([now]))[0]) / total
