"""The ``goals`` table: monthly plans per manager and per team.

Olena's team gets the guide's plan for the seed month (1,000,000 for the team; 300,000 / 400,000
/ 300,000 for Olena, Oleksandr and Daria) and the same plan for the current month, so a pace
forecast has something to aim at. The other team's managers get revenue plans for the seed month
and the month before, set a little above what they earned in the three months before; Serhiy and
Mykyta also get plans for the number of won deals.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from salesscope.demo import columns, people, story
from salesscope.demo.book import DealBook
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.journeys import WON_OUTCOME
from salesscope.demo.roster import Roster

COUNT_GOAL_PEOPLE = (people.SERHIY, people.MYKYTA)


def goals_table(
    book: DealBook,
    amount: np.ndarray,
    deleted: np.ndarray,
    roster: Roster,
    calendar: DemoCalendar,
    rng: np.random.Generator,
) -> pa.Table:
    won = (book.journeys.outcome == WON_OUTCOME) & ~deleted
    month = calendar.month_of(np.where(won, book.journeys.closed_s, 0))
    shape = (len(roster), calendar.n_months)
    revenue = np.zeros(shape)
    count = np.zeros(shape)
    np.add.at(revenue, (book.leads.owner[won], month[won]), amount[won])
    np.add.at(count, (book.leads.owner[won], month[won]), 1)

    rows: list[tuple[str, int | None, int | None, int, str, int]] = []
    seed, current = calendar.seed_index, calendar.seed_index + 1
    for m in (seed, current):
        rows.append(("team", None, people.OLENA_TEAM.id, m, "won_amount", story.TEAM_GOAL))
        rows += [("manager", pid, None, m, "won_amount", target)
                 for pid, target in story.PERSONAL_GOALS.items()]
    for m in (seed - 1, seed):
        month_start = calendar.month_bounds()[m]
        for p, person in enumerate(roster.managers):
            if person.team_id != people.SERHIY_TEAM.id or roster.last_action_s[p] < month_start:
                continue
            past = revenue[p, m - 3:m].mean()
            target = max(10_000, round(past * rng.uniform(1.0, 1.2) / 10_000) * 10_000)
            rows.append(("manager", person.id, None, m, "won_amount", target))
            if person in COUNT_GOAL_PEOPLE:
                wins = max(5, round(count[p, m - 3:m].mean() * 1.15))
                rows.append(("manager", person.id, None, m, "won_count", wins))
    starts = [calendar.month_starts[r[3]] for r in rows]
    return pa.table({
        "id": columns.ids(np.arange(1, len(rows) + 1)),
        "scope": pa.array([r[0] for r in rows], pa.string()),
        "user_id": pa.array([r[1] for r in rows], pa.int64()),
        "team_id": pa.array([r[2] for r in rows], pa.int64()),
        "period_start": pa.array(starts, pa.date32()),
        "period_end": pa.array([calendar.month_starts[r[3] + 1] - dt.timedelta(days=1)
                                for r in rows], pa.date32()),
        "metric": pa.array([r[4] for r in rows], pa.string()),
        "target": columns.money(np.array([r[5] for r in rows], dtype=np.int64)),
    })
