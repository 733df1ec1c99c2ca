"""Deal amounts: drawn from each manager's profile, then shaped to the story's exact revenues.

Amounts are whole hryvnias. The shaping only rescales amounts of deals that are already won in
the right months, so counts, stages and moments stay as drawn:
- Serhiy's seed-month wins pay exactly 1,000 each;
- Ihor's won revenue by close month follows ``story.IHOR_REVENUE_SHAPE``;
- Olena's team's seed-month revenue lands in ``story.GOAL_FACTS`` (Olena far over her goal,
  Oleksandr far under, Daria close, the team short of 1,000,000).
"""

from __future__ import annotations

import numpy as np

from salesscope.demo import people, story
from salesscope.demo.book import DealBook
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.cohorts import REPEAT, SALES
from salesscope.demo.journeys import WON_OUTCOME
from salesscope.demo.roster import Roster

SALES_RANGE = (500, 60_000)
REPEAT_RANGE = (300, 40_000)


def draw_amounts(book: DealBook, roster: Roster, rng: np.random.Generator) -> np.ndarray:
    """Budget per deal: set once a deal reached the proposal (or won), else 0."""
    lead, j = book.leads, book.journeys
    median = np.array([p.amount_median for p in roster.profiles])[lead.owner]
    sigma = np.array([p.amount_sigma for p in roster.profiles])[lead.owner]
    raw = np.exp(np.log(median) + sigma * rng.standard_normal(len(book)))
    repeat = lead.pipeline == REPEAT
    raw = np.where(repeat, np.clip(raw * 0.6, *REPEAT_RANGE), np.clip(raw, *SALES_RANGE))
    amount = (np.round(raw / 50) * 50).astype(np.int64)
    quoted = (j.outcome == WON_OUTCOME) | np.where(repeat, j.peak >= 1, j.peak >= 3)
    return np.where(quoted, amount, 0)


def shape(
    amount: np.ndarray,
    book: DealBook,
    deleted: np.ndarray,
    roster: Roster,
    calendar: DemoCalendar,
    rng: np.random.Generator,
) -> np.ndarray:
    """The story's exact revenues, by rescaling won amounts (returns a new array)."""
    amount = amount.copy()
    lead, j = book.leads, book.journeys
    won = (j.outcome == WON_OUTCOME) & ~deleted
    close_month = np.where(j.closed_s >= 0, calendar.month_of(j.closed_s), -1)

    serhiy = roster.index_of(people.SERHIY)
    seed_wins = (won & (lead.owner == serhiy) & (lead.pipeline == SALES)
                 & (lead.month == calendar.seed_index))
    amount[seed_wins] = story.SERHIY_SEED_AMOUNT

    ihor = roster.index_of(people.IHOR)
    months = story.ihor_months(calendar)
    groups = [np.flatnonzero(won & (lead.owner == ihor) & (close_month == m)) for m in months]
    base = float(amount[groups[0]].sum())
    shape_k = list(story.IHOR_REVENUE_SHAPE)
    shape_k[4] *= float(rng.uniform(0.95, 1.05))
    for group, factor in zip(groups, shape_k, strict=True):
        _rescale(amount, group, round(base * factor / 100) * 100)

    for person in people.OLENA_TEAM_MEMBERS:
        p = roster.index_of(person)
        lo, hi = story.GOAL_FACTS[person.id]
        target = int(rng.integers(lo // 1000, hi // 1000 + 1)) * 1000
        group = np.flatnonzero(won & (lead.owner == p) & (close_month == calendar.seed_index))
        _rescale(amount, group, target)
    return amount


def _rescale(amount: np.ndarray, group: np.ndarray, target: int) -> None:
    """Scale ``amount[group]`` so that it sums exactly to ``target`` (whole hryvnias)."""
    if len(group) == 0:
        raise RuntimeError("a story revenue group has no won deals to shape")
    values = amount[group].astype(np.float64)
    scaled = np.maximum(np.round(values * target / max(values.sum(), 1.0) / 10) * 10, 100)
    scaled = scaled.astype(np.int64)
    top = int(np.argmax(scaled))
    scaled[top] += target - int(scaled.sum())
    amount[group] = scaled
