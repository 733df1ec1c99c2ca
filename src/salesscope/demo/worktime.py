"""Working time: when each person is at work, and a clock that only runs while they are.

Every staff action is placed on a per-person *working clock* (``u``, in working seconds): ``u``
advances only inside that person's working segments — weekdays from about 09:00 to about 18:00
local, minus a lunch gap that always covers 13:00–14:00 and a few short breaks. Planning a deal in
working seconds and mapping back with ``to_clock`` therefore puts every staff action inside
working hours by construction, with realistic overnight and weekend pauses in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo.clock import DAY_S, DemoCalendar

_KEY = np.int64(1) << 40
"""Per-person key offset: segments of all people live in one sorted array."""
_MIN = 60
_TAIL_DAYS = 30
"""Working days planned after ``today`` so that due dates of open tasks can be placed."""


@dataclass(frozen=True)
class WorkSchedule:
    """All working segments of all people, with both clocks (wall and working) per segment."""

    person: np.ndarray
    real0: np.ndarray
    """Segment start, local seconds since the epoch."""
    work0: np.ndarray
    """Segment start on the person's working clock."""
    length: np.ndarray
    real_key: np.ndarray
    work_key: np.ndarray
    work_total: np.ndarray
    """Working seconds available to each person over the whole schedule."""

    @classmethod
    def build(
        cls,
        calendar: DemoCalendar,
        last_day: np.ndarray,
        shift_s: np.ndarray,
        absence_until_day: int,
        rng: np.random.Generator,
    ) -> WorkSchedule:
        """Segments for every person: weekdays up to ``last_day`` (a day index, inclusive).

        ``absence_until_day``: a few random sick days happen only before this day, so the recent
        period shows everyone at work every weekday.
        """
        n_people = len(last_day)
        days = np.arange(calendar.n_days + _TAIL_DAYS, dtype=np.int64)
        weekday = (calendar.month_starts[0].weekday() + days) % 7
        days = days[weekday < 5]
        p = np.repeat(np.arange(n_people, dtype=np.int64), len(days))
        d = np.tile(days, n_people)
        keep = d <= last_day[p]
        sick = (rng.random(len(d)) < 0.012) & (d < absence_until_day) & (d < last_day[p])
        keep &= ~sick
        p, d = p[keep], d[keep]
        bounds = _day_bounds(len(d), shift_s[p], rng) + (d * DAY_S)[:, None]
        real0 = bounds[:, 0::2].ravel()
        length = (bounds[:, 1::2] - bounds[:, 0::2]).ravel()
        person = np.repeat(p, 4)
        ends = np.cumsum(length)
        work_global = ends - length
        first = np.searchsorted(person, np.arange(n_people))
        base = np.where(first < len(person), work_global[np.minimum(first, len(person) - 1)], 0)
        work0 = work_global - base[person]
        total = np.zeros(n_people, dtype=np.int64)
        np.add.at(total, person, length)
        return cls(
            person=person,
            real0=real0,
            work0=work0,
            length=length,
            real_key=person * _KEY + real0,
            work_key=person * _KEY + work0,
            work_total=total,
        )

    def to_work(self, person: np.ndarray, local_s: np.ndarray) -> np.ndarray:
        """The working clock of ``person`` at wall-clock ``local_s`` (the next working moment)."""
        idx = np.searchsorted(self.real_key, person * _KEY + local_s, side="right") - 1
        safe = np.maximum(idx, 0)
        valid = (idx >= 0) & (self.person[safe] == person)
        offset = np.clip(local_s - self.real0[safe], 0, self.length[safe])
        return np.where(valid, self.work0[safe] + offset, 0)

    def to_clock(self, person: np.ndarray, work_s: np.ndarray) -> np.ndarray:
        """The wall-clock moment (local seconds) at working clock ``work_s`` of ``person``."""
        work_s = np.clip(work_s.astype(np.int64), 0, np.maximum(self.work_total[person] - 1, 0))
        idx = np.searchsorted(self.work_key, person * _KEY + work_s, side="right") - 1
        clock: np.ndarray = self.real0[idx] + (work_s - self.work0[idx])
        return clock

    def inside(self, person: np.ndarray, local_s: np.ndarray) -> np.ndarray:
        """Whether ``local_s`` lies inside one of the person's working segments."""
        idx = np.searchsorted(self.real_key, person * _KEY + local_s, side="right") - 1
        safe = np.maximum(idx, 0)
        found: np.ndarray = (
            (idx >= 0)
            & (self.person[safe] == person)
            & (local_s < self.real0[safe] + self.length[safe])
        )
        return found


def _day_bounds(n: int, shift_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Eight boundaries per working day (seconds after midnight): four segments.

    [start, morning break), [after it, lunch), [after lunch, afternoon break), [after it, end).
    Lunch always covers 13:00–14:00; a skipped break is a zero-length one.
    """
    def u(lo_min: float, hi_min: float) -> np.ndarray:
        return (rng.uniform(lo_min, hi_min, n) * _MIN).astype(np.int64)

    start = 9 * 3600 + shift_s + u(-10, 20)
    m_break = 10 * 3600 + u(0, 120)
    m_len = np.where(rng.random(n) < 0.6, u(8, 25), 0)
    lunch = 13 * 3600 - u(0, 15)
    back = 14 * 3600 + u(0, 15)
    a_break = 15 * 3600 + u(0, 120)
    a_len = np.where(rng.random(n) < 0.7, u(8, 25), 0)
    end = np.maximum(18 * 3600 + shift_s // 2 + u(-30, 10), a_break + a_len + 5 * _MIN)
    return np.stack(
        [start, m_break, m_break + m_len, lunch, back, a_break, a_break + a_len, end], axis=1
    )
