"""Cohorts: how many deals each manager gets per month, and how each month's deals end.

A cohort is one manager's new deals of one pipeline in one month. Its outcome is fixed as exact
counts per *category* (won; reached the proposal stage and lost or left open; stayed below it and
lost or left open) before any deal exists. Background months draw the counts at random from the
manager's profile; the seed month and Ihor's last six months take them from ``story``. Deals of
recent months may still be cut short by the cutoff (they look open), except in *compressed*
cohorts, whose deals are fitted before the cutoff so their counts hold exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo import people, story
from salesscope.demo.arrivals import ArrivalCurve
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.roster import Roster
from salesscope.demo.scale import Scale

WON, REACH_LOST, REACH_OPEN, LOW_LOST, LOW_OPEN = range(5)
N_CATEGORIES = 5
SALES, REPEAT = 0, 1

ROOM_S = 4 * 3600
"""Working seconds a compressed cohort's last lead gets before its owner's work ends."""
_BACKGROUND_STALE = 0.04
_SEED_STALE = 0.02


@dataclass(frozen=True)
class Cohorts:
    """Cohort table: one row per (manager, pipeline, month)."""

    owner: np.ndarray
    month: np.ndarray
    pipeline: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    counts: np.ndarray
    """(cohorts, N_CATEGORIES) exact deal counts."""
    compress: np.ndarray
    """Every deal is fitted before its owner's work ends (counts hold exactly)."""
    won_in_month: np.ndarray
    """Won deals close within their creation month when there is room."""
    first_won: np.ndarray
    """The cohort's earliest deal is won and closes within the month."""
    touch_rate: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        sizes: np.ndarray = self.counts.sum(axis=1)
        return sizes


@dataclass
class _Row:
    owner: int
    month: int
    pipeline: int
    start_s: int
    end_s: int
    counts: tuple[int, int, int, int, int]
    compress: bool = False
    won_in_month: bool = False
    first_won: bool = False
    touch_rate: float = 1.0


def split(n: int, reached: int, won: int, stale: float, rng: np.random.Generator) -> tuple[
    int, int, int, int, int
]:
    """Exact category counts from leads, reached-proposal and won counts."""
    reach_open = int(rng.binomial(reached - won, stale))
    low_open = int(rng.binomial(n - reached, stale))
    return (won, reached - won - reach_open, reach_open, n - reached - low_open, low_open)


def _season(month_start_month: int) -> float:
    return 1.0 + 0.12 * float(np.sin(2 * np.pi * (month_start_month - 3) / 12))


def plan_sales(
    calendar: DemoCalendar, roster: Roster, arrivals: ArrivalCurve, rng: np.random.Generator
) -> Cohorts:
    """Sales cohorts for every manager and month, with the story's cohorts exact."""
    bounds = calendar.month_bounds()
    ihor_months = story.ihor_months(calendar)
    rows: list[_Row] = []
    for p, person in enumerate(roster.managers):
        prof = roster.profiles[p]
        room_end = int(roster.schedule.to_clock(np.array([p]), roster.work_end[p:p + 1] - ROOM_S)[0])
        for m in range(calendar.n_months):
            start, full_end = int(bounds[m]), int(bounds[m + 1])
            end = min(full_end, calendar.cutoff_s, int(roster.last_action_s[p]))
            if end <= start:
                continue
            wobble = float(np.exp(rng.normal(0.0, 0.08)))
            n_full = float(np.clip(prof.lead_base * _season(calendar.month_starts[m].month) * wobble,
                                   90, 170))
            share = float(arrivals.mass(np.array(start), np.array(end)) /
                          arrivals.mass(np.array(start), np.array(full_end)))
            n = round(n_full * share)
            if person.id == people.IHOR.id and m in ihor_months:
                k = ihor_months.index(m)
                n, reached, won = story.IHOR_LEADS[k], story.IHOR_REACHED[k], story.IHOR_WON[k]
                counts = split(n, reached, won, story.IHOR_STALE[k], rng)
                end = min(end, room_end)
                rows.append(_Row(p, m, SALES, start, end, counts, won_in_month=True,
                                 first_won=True, touch_rate=story.IHOR_TOUCH_RATE))
                continue
            if m == calendar.seed_index:
                rows.append(_Row(p, m, SALES, start, min(end, room_end), (n, 0, 0, 0, 0),
                                 compress=True, first_won=True))
                continue
            reached = int(rng.binomial(n, prof.reach_rate))
            won = int(rng.binomial(reached, prof.win_rate))
            rows.append(_Row(p, m, SALES, start, end, split(n, reached, won, _BACKGROUND_STALE, rng)))
    _fix_seed_month(rows, roster, calendar.seed_index, rng)
    return _to_arrays(rows)


def _fix_seed_month(rows: list[_Row], roster: Roster, seed_index: int,
                    rng: np.random.Generator) -> None:
    """Exact seed-month cohorts: the story's three, the rest balanced to the company rate.

    The other managers' lead counts stay as drawn; their won counts are set so that won/leads over
    all seed-month cohorts rounds to ``story.COMPANY_WIN_RATE``.
    """
    seed_rows = [r for r in rows if r.month == seed_index]
    fixed = {r.owner: story.SEED_COHORTS[roster.managers[r.owner].id] for r in seed_rows
             if roster.managers[r.owner].id in story.SEED_COHORTS}
    for r in seed_rows:
        if r.owner in fixed:
            r.counts = (fixed[r.owner].leads, 0, 0, 0, 0)
    others = [r for r in seed_rows if r.owner not in fixed]
    total_leads = sum(r.counts[0] for r in seed_rows)
    total_won = round(story.COMPANY_WIN_RATE * total_leads)
    others_won = total_won - sum(c.won for c in fixed.values())
    reached = [int(rng.binomial(r.counts[0], roster.profiles[r.owner].reach_rate)) for r in others]
    weight = np.array([reached[i] * roster.profiles[r.owner].win_rate for i, r in enumerate(others)])
    won = _largest_remainder(weight, others_won)
    for i, r in enumerate(others):
        n = r.counts[0]
        w = min(int(won[i]), n)
        r.counts = split(n, max(reached[i], w), w, _SEED_STALE, rng)
    for r in seed_rows:
        if r.owner in fixed:
            c = fixed[r.owner]
            r.counts = split(c.leads, c.reached_proposal, c.won, _SEED_STALE, rng)
    leads = sum(sum(r.counts) for r in seed_rows)
    rate = sum(r.counts[WON] for r in seed_rows) / leads
    if round(rate, 2) != story.COMPANY_WIN_RATE:
        raise RuntimeError(f"seed-month company win rate {rate:.4f} does not round to 0.21")


def _largest_remainder(weight: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weight`` that sum exactly to ``total``."""
    if total <= 0 or len(weight) == 0:
        return np.zeros(len(weight), dtype=np.int64)
    raw = weight / weight.sum() * total
    out = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: total - int(out.sum())]] += 1
    counts: np.ndarray = out
    return counts


def plan_repeat(
    calendar: DemoCalendar, roster: Roster, scale: Scale, arrivals: ArrivalCurve,
    rng: np.random.Generator,
) -> Cohorts:
    """Repeat-sales cohorts: a trickle per manager-month once there are past buyers.

    Ihor gets none from the month before his last six (he is swamped with new leads).
    """
    bounds = calendar.month_bounds()
    first_ihor = story.ihor_months(calendar)[0] - 1
    rows: list[_Row] = []
    for p, person in enumerate(roster.managers):
        for m in range(2, calendar.n_months):
            if person.id == people.IHOR.id and m >= first_ihor:
                continue
            start, full_end = int(bounds[m]), int(bounds[m + 1])
            end = min(full_end, calendar.cutoff_s, int(roster.last_action_s[p]))
            if end <= start:
                continue
            share = float(arrivals.mass(np.array(start), np.array(end)) /
                          arrivals.mass(np.array(start), np.array(full_end)))
            n = int(rng.poisson(scale.repeat_per_month * share))
            if n == 0:
                continue
            won = int(rng.binomial(n, 0.5))
            reached = won + int(rng.binomial(n - won, 0.45))
            rows.append(_Row(p, m, REPEAT, start, end, split(n, reached, won, 0.05, rng)))
    return _to_arrays(rows)


def _to_arrays(rows: list[_Row]) -> Cohorts:
    return Cohorts(
        owner=np.array([r.owner for r in rows], dtype=np.int64),
        month=np.array([r.month for r in rows], dtype=np.int64),
        pipeline=np.array([r.pipeline for r in rows], dtype=np.int64),
        start_s=np.array([r.start_s for r in rows], dtype=np.int64),
        end_s=np.array([r.end_s for r in rows], dtype=np.int64),
        counts=np.array([r.counts for r in rows], dtype=np.int64).reshape(-1, N_CATEGORIES),
        compress=np.array([r.compress for r in rows], dtype=bool),
        won_in_month=np.array([r.won_in_month for r in rows], dtype=bool),
        first_won=np.array([r.first_won for r in rows], dtype=bool),
        touch_rate=np.array([r.touch_rate for r in rows], dtype=np.float64),
    )
