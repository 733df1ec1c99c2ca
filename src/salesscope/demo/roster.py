"""The staff of one demo build: managers in index order, their habits and working time.

Arrays elsewhere refer to a manager by *roster index* (0..n-1); ``ids`` maps it to ``users.id``.
For a leaver the working clock ends ten minutes before the end of the last working day, and a
farewell note five minutes later is the last action; for everyone else it ends at the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo import people, story
from salesscope.demo.clock import DAY_S, DemoCalendar
from salesscope.demo.profiles import PROFILES, Profile, generated_profile
from salesscope.demo.scale import Scale
from salesscope.demo.worktime import WorkSchedule

LEAVER_TAIL_S = 600
"""Working seconds between a leaver's last deal work and the end of the last day."""
FAREWELL_AFTER_S = 300
"""The farewell note comes this many working seconds after the last deal work."""


@dataclass(frozen=True)
class Roster:
    """Managers who own deals, with their profiles and working schedule."""

    managers: tuple[people.Person, ...]
    teams: tuple[people.Team, ...]
    profiles: tuple[Profile, ...]
    ids: np.ndarray
    leaver: np.ndarray
    schedule: WorkSchedule
    work_end: np.ndarray
    """Working clock (per manager) before which every action of theirs happens."""
    last_action_s: np.ndarray
    """Local seconds of the last moment a manager may act: the farewell note or the cutoff."""

    @classmethod
    def build(cls, calendar: DemoCalendar, scale: Scale, rng: np.random.Generator) -> Roster:
        extra_teams, extra = people.extra_staff(scale.extra_managers)
        managers = people.NAMED_MANAGERS + extra
        profiles = tuple(PROFILES.get(m.id) or generated_profile(rng) for m in managers)
        n = len(managers)
        last_day = np.full(n, calendar.n_days + 400, dtype=np.int64)
        leaver = np.zeros(n, dtype=bool)
        for i, m in enumerate(managers):
            day = story.last_working_day(m.id, calendar)
            if day is not None:
                last_day[i] = (day - calendar.month_starts[0]).days
                leaver[i] = True
        seed_day = (calendar.seed_month - calendar.month_starts[0]).days
        schedule = WorkSchedule.build(
            calendar,
            last_day,
            np.array([p.shift_s for p in profiles], dtype=np.int64),
            absence_until_day=seed_day - 31,
            rng=rng,
        )
        idx = np.arange(n)
        at_cutoff = schedule.to_work(idx, np.full(n, calendar.cutoff_s, dtype=np.int64))
        at_leave = schedule.to_work(idx, (last_day + 1) * DAY_S) - LEAVER_TAIL_S
        work_end = np.where(leaver, np.minimum(at_leave, at_cutoff), at_cutoff)
        farewell = schedule.to_clock(idx, work_end + FAREWELL_AFTER_S)
        last_action = np.where(leaver, farewell, calendar.cutoff_s)
        return cls(
            managers=managers,
            teams=people.TEAMS + extra_teams,
            profiles=profiles,
            ids=np.array([m.id for m in managers], dtype=np.int64),
            leaver=leaver,
            schedule=schedule,
            work_end=work_end,
            last_action_s=last_action,
        )

    def index_of(self, person: people.Person) -> int:
        return next(i for i, m in enumerate(self.managers) if m.id == person.id)

    def __len__(self) -> int:
        return len(self.managers)
