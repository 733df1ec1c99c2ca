"""Leads: cohorts expanded to one row per deal, with a creation moment, a fate and a deadline.

A deal's *deadline* is the working-clock moment before which all its staff actions happen: the
owner's end of work (cutoff or departure), or the end of its creation month for deals the story
needs closed inside that month. *Compressed* deals are squeezed to fit before their deadline; all
other deals are simply cut at it, which leaves recent deals open as they would be in a real CRM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo import people, story
from salesscope.demo.arrivals import ArrivalCurve
from salesscope.demo.clock import DAY_S, DemoCalendar
from salesscope.demo.cohorts import N_CATEGORIES, SALES, WON, Cohorts
from salesscope.demo.roster import Roster

_MONTH_ROOM_S = 2 * 3600
"""Won deals close within their month only when at least this much working time is left."""


@dataclass
class Leads:
    """One row per deal, before its journey through the stages is drawn."""

    cohort: np.ndarray
    owner: np.ndarray
    pipeline: np.ndarray
    month: np.ndarray
    created_s: np.ndarray
    category: np.ndarray
    work0: np.ndarray
    """Owner's working clock at creation (the first moment they can act on it)."""
    deadline: np.ndarray
    compress: np.ndarray
    late_close_s: np.ndarray
    """Local moment of a robot's move to won after the owner left; -1 when none."""
    touch_rate: np.ndarray

    def __len__(self) -> int:
        return len(self.owner)

    def select(self, keep: np.ndarray) -> Leads:
        return Leads(**{k: v[keep] for k, v in self.__dict__.items()})


def expand(
    cohorts: Cohorts,
    calendar: DemoCalendar,
    roster: Roster,
    arrivals: ArrivalCurve,
    rng: np.random.Generator,
    late_wins: bool = False,
) -> Leads:
    """One row per deal of every cohort; categories shuffled within each cohort.

    ``late_wins``: pick Andriy's late wins among these deals (done for the Sales cohorts).
    """
    sizes = cohorts.sizes
    cohort = np.repeat(np.arange(len(sizes)), sizes)
    created = arrivals.stratified(cohorts.start_s, cohorts.end_s, sizes, rng)
    codes = np.repeat(np.tile(np.arange(N_CATEGORIES), len(sizes)), cohorts.counts.ravel())
    order = np.lexsort((rng.random(len(cohort)), cohort))
    category = np.empty_like(codes)
    category[order] = codes
    first = np.cumsum(sizes) - sizes
    _earliest_won(category, first, sizes, cohorts.first_won)

    owner = cohorts.owner[cohort]
    work0 = roster.schedule.to_work(owner, created)
    deadline = roster.work_end[owner].copy()
    month = cohorts.month[cohort]
    month_end_s = calendar.month_bounds()[month + 1]
    month_end = roster.schedule.to_work(owner, month_end_s)
    is_first = np.zeros(len(cohort), dtype=bool)
    is_first[first[(sizes > 0) & cohorts.first_won]] = True
    in_month = (category == WON) & (
        is_first | (cohorts.won_in_month[cohort] & (month_end - work0 >= _MONTH_ROOM_S))
    )
    deadline = np.where(in_month, np.minimum(month_end, deadline), deadline)
    compress = cohorts.compress[cohort] | in_month | ((category == WON) & cohorts.won_in_month[cohort])
    leads = Leads(
        cohort=cohort,
        owner=owner,
        pipeline=cohorts.pipeline[cohort],
        month=month,
        created_s=created,
        category=category,
        work0=work0,
        deadline=deadline,
        compress=compress,
        late_close_s=np.full(len(cohort), -1, dtype=np.int64),
        touch_rate=cohorts.touch_rate[cohort],
    )
    if late_wins:
        _andriy_late_wins(leads, roster, calendar.month_starts[0].weekday(), rng)
    return leads


def _earliest_won(category: np.ndarray, first: np.ndarray, sizes: np.ndarray,
                  flagged: np.ndarray) -> None:
    """In flagged cohorts, swap fates so that the earliest-created deal is a won one."""
    for c in np.flatnonzero(flagged & (sizes > 0)):
        lo, hi = first[c], first[c] + sizes[c]
        if category[lo] == WON:
            continue
        won = np.flatnonzero(category[lo:hi] == WON)
        if len(won):
            j = lo + won[0]
            category[lo], category[j] = category[j], category[lo]


def _andriy_late_wins(
    leads: Leads, roster: Roster, epoch_weekday: int, rng: np.random.Generator
) -> None:
    """Pick Andriy's deals that a robot moves to won 2-5 weeks after his last action."""
    p = roster.index_of(people.ANDRIY)
    last = int(roster.last_action_s[p])
    early, late = story.ANDRIY_WINDOW_DAYS
    pool = np.flatnonzero(
        (leads.owner == p)
        & (leads.pipeline == SALES)
        & (leads.created_s >= last - early * DAY_S)
        & (leads.created_s < last - late * DAY_S)
    )
    chosen = np.sort(rng.choice(pool, size=story.ANDRIY_LATE_WINS, replace=False))
    leads.category[chosen] = WON
    leads.compress[chosen] = True
    leads.late_close_s[chosen] = late_close_moments(last, len(chosen), epoch_weekday, rng)


def late_close_moments(
    last_action_s: int, n: int, epoch_weekday: int, rng: np.random.Generator
) -> np.ndarray:
    """Weekday moments 15-34 days after ``last_action_s``, in office hours outside lunch."""
    lo, hi = story.ANDRIY_LATE_WIN_DAYS
    day = last_action_s // DAY_S + rng.integers(lo, hi + 1, n)
    weekday = (epoch_weekday + day) % 7
    day = day + np.where(weekday >= 5, 7 - weekday, 0)
    minute = np.where(rng.random(n) < 0.5, rng.integers(600, 770, n), rng.integers(850, 1010, n))
    moments: np.ndarray = day * DAY_S + minute * 60
    return moments
