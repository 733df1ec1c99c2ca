"""The stories the demo must tell, as exact numbers (see ../shared/seed-examples.md).

Everything here is constructed, not hoped for: the generator builds these cohorts, departures and
revenue shapes exactly, for every seed. Tests check them with hand-written SQL.

Choices made where the brief left one open:
- Ihor's deals that are still open when he quits stay his and stay open (nobody closes them); he
  is the manager who "touched every client a little and closed none".
- Andriy's open deals at his departure stay his and open too, except the late wins below, which a
  robot moves to won (``by_user_id`` NULL) two to five weeks after his last action.
- Every other manager clears stale deals: a deal left open by its fate is marked lost by its
  owner ``STALE_LOST_DAYS`` working days (on average) after its last move, so their open deals
  stay below the overload limit and Ihor's pile stands out. The cohorts the story fixes exactly
  (the seed month) keep their open deals open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from salesscope.demo import people
from salesscope.demo.clock import DemoCalendar


@dataclass(frozen=True)
class CohortCounts:
    """A Sales cohort fixed by construction: leads, how many reached the proposal, how many won."""

    leads: int
    reached_proposal: int
    won: int


SEED_COHORTS: dict[int, CohortCounts] = {
    people.SERHIY.id: CohortCounts(200, 90, 15),
    people.MYKYTA.id: CohortCounts(142, 68, 23),
    people.OLENA.id: CohortCounts(100, 79, 29),
}
"""Seed-month cohorts of the guide's worked examples (cases 1-3)."""

COMPANY_WIN_RATE = 0.21
"""Won / leads over every manager's seed-month Sales cohort, rounded to two places (case 4)."""

SERHIY_SEED_AMOUNT = 1000
"""Every deal Serhiy wins from his seed-month cohort pays exactly this, UAH (case 1)."""

# Case 5: Ihor over the six months before the seed month, month 1 first.
IHOR_LEADS = (150, 165, 180, 200, 190, 170)
IHOR_REACHED = (88, 95, 100, 105, 75, 55)
IHOR_WON = (26, 32, 39, 46, 27, 16)
IHOR_STALE = (0.25, 0.35, 0.45, 0.5, 0.6, 0.7)
"""Share of Ihor's not-won deals of each month that are never closed (still open at the end)."""
IHOR_REVENUE_SHAPE = (1.0, 1.22, 1.5, 1.8, 1.0, 0.62)
"""Ihor's won revenue by close month relative to month 1; month 5 gets a ±5% wobble."""
IHOR_TOUCH_RATE = 0.45
"""Ihor touches each deal of his last months only a little."""

# Case 7: Andriy stops working about eight weeks before the seed month.
ANDRIY_STOP_DAYS_BEFORE_SEED = 56
ANDRIY_LATE_WINS = 7
ANDRIY_LATE_WIN_DAYS = (15, 32)
"""Late wins close this many days (then the next weekday) after his last action."""
ANDRIY_WINDOW_DAYS = (35, 4)
"""Late wins are chosen among his deals created this many days before he stops."""

# Case 6: goals of Olena's team for the seed month (and the current month, for pace).
TEAM_GOAL = 1_000_000
PERSONAL_GOALS: dict[int, int] = {
    people.OLENA.id: 300_000,
    people.OLEKSANDR.id: 400_000,
    people.DARIA.id: 300_000,
}
GOAL_FACTS: dict[int, tuple[int, int]] = {
    people.OLENA.id: (440_000, 460_000),
    people.OLEKSANDR.id: (230_000, 250_000),
    people.DARIA.id: (272_000, 288_000),
}
"""Range of each member's seed-month won revenue, UAH: Olena far over (≥1.4x), Oleksandr far
under (<0.75x), Daria near her goal (0.85-1.05x), the team under 1,000,000 in every case."""

STALE_LOST_DAYS = 15.0
"""Mean working days from a stale deal's last move to its owner marking it lost (exponential)."""

LEAVERS: tuple[people.Person, ...] = (people.IHOR, people.ANDRIY)


def last_weekday(day: dt.date) -> dt.date:
    """``day`` itself when a weekday, else the Friday before."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def last_working_day(person_id: int, calendar: DemoCalendar) -> dt.date | None:
    """The last day a leaver works; None for everyone who stays."""
    if person_id == people.IHOR.id:
        return last_weekday(calendar.seed_month - dt.timedelta(days=1))
    if person_id == people.ANDRIY.id:
        return last_weekday(
            calendar.seed_month - dt.timedelta(days=ANDRIY_STOP_DAYS_BEFORE_SEED)
        )
    return None


def ihor_months(calendar: DemoCalendar) -> list[int]:
    """Indices (into ``calendar.month_starts``) of Ihor's six months before he quits."""
    return [calendar.seed_index - 6 + k for k in range(6)]
