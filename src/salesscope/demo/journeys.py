"""Journeys: each deal's walk through its pipeline's stages, with the moment of every move.

A deal's fate (its cohort category) fixes how far it gets (its *peak* open stage) and how it ends;
a deal whose fate is to stay open is, for most managers, marked lost weeks later (a stale deal
cleared from the pipeline, see ``story.STALE_LOST_DAYS``).
The walk is a fixed grid of columns — the open stages in order, an optional step back, an optional
return, and the final move to won or lost — of which each deal includes some: it may be created in
a later stage, skip a stage, or step back once. Gaps between moves are drawn in working time, so
every staff move falls in the owner's working hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo import people, story
from salesscope.demo.catalog import MAX_OPEN, end_stage_ids, open_stage_ids
from salesscope.demo.cohorts import LOW_LOST, LOW_OPEN, REACH_LOST, REACH_OPEN, REPEAT, SALES, WON
from salesscope.demo.leads import Leads
from salesscope.demo.profiles import WORK_DAY_S
from salesscope.demo.roster import Roster

BACK, RETURN, FINAL = MAX_OPEN, MAX_OPEN + 1, MAX_OPEN + 2
N_COLS = MAX_OPEN + 3
OPEN, WON_OUTCOME, LOST_OUTCOME = 0, 1, 2
_MARGIN_S = 120
_GAP_DAYS = np.array([0.0, 0.35, 1.0, 1.5, 2.0, 1.5])
"""Mean working days spent before moving into each Sales open stage."""
_REPEAT_GAP_DAYS = np.array([0.0, 1.0, 1.5, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class Journeys:
    """Where each deal stands now, and every move it made."""

    peak: np.ndarray
    stage_id: np.ndarray
    outcome: np.ndarray
    closed_s: np.ndarray
    """Local moment of the move to won or lost; -1 while open."""
    updated_s: np.ndarray
    last_work: np.ndarray
    """Owner's working clock at the deal's last staff move (creation when it never moved)."""
    change_deal: np.ndarray
    change_from: np.ndarray
    change_to: np.ndarray
    change_s: np.ndarray
    change_robot: np.ndarray


def draw(leads: Leads, roster: Roster, rng: np.random.Generator) -> Journeys:
    """Walk every deal through its stages, in one pass over all deals."""
    n = len(leads)
    rows = np.arange(n)
    early = np.array([p.early_loss for p in roster.profiles])[leads.owner]
    response = np.array([p.response_s for p in roster.profiles])[leads.owner]
    peak = _peaks(leads, early, rng)
    first = np.where((rng.random(n) < 0.05) & (peak >= 1) & (leads.pipeline == SALES),
                     1 + (rng.random(n) * peak).astype(np.int64), 0)
    won = leads.category == WON
    stale = _tidied(leads, roster)
    closing = won | (leads.category == REACH_LOST) | (leads.category == LOW_LOST) | stale

    k = np.arange(MAX_OPEN)
    on_path = (k >= first[:, None]) & (k <= peak[:, None])
    skipped = rng.random((n, MAX_OPEN)) < 0.12
    include = np.zeros((n, N_COLS), dtype=bool)
    include[:, :MAX_OPEN] = on_path & ((k == first[:, None]) | (k == peak[:, None]) | ~skipped)
    back = (rng.random(n) < 0.08) & (peak >= 1) & (leads.late_close_s < 0)
    include[:, BACK] = back
    include[:, RETURN] = back & won
    include[:, FINAL] = closing

    ids = open_stage_ids()[leads.pipeline]
    won_id, lost_id = end_stage_ids()
    stage = np.empty((n, N_COLS), dtype=np.int64)
    stage[:, :MAX_OPEN] = ids
    stage[:, BACK] = ids[rows, np.maximum(peak - 1, 0)]
    stage[:, RETURN] = ids[rows, peak]
    stage[:, FINAL] = np.where(won, won_id[leads.pipeline], lost_id[leads.pipeline])

    move_work = _move_times(leads, include, first, won, stale, early, response, rng)
    kept = include & (move_work < leads.deadline[:, None])
    kept[rows, first] = True
    late = leads.late_close_s >= 0
    kept[late, FINAL] = True

    at = np.zeros((n, N_COLS), dtype=np.int64)
    r, c = np.nonzero(kept)
    at[r, c] = roster.schedule.to_clock(leads.owner[r], move_work[r, c])
    at[rows, first] = leads.created_s
    at[late, FINAL] = leads.late_close_s[late]
    robot = rng.random((n, N_COLS)) < 0.03
    robot[late, FINAL] = True

    last = N_COLS - 1 - np.argmax(kept[:, ::-1], axis=1)
    final_kept = kept[:, FINAL]
    pre_final = np.where(kept[:, :FINAL], np.arange(FINAL), -1).max(axis=1)
    last_staff = np.where(late, pre_final, last)
    last_work = np.where(last_staff == first, leads.work0, move_work[rows, last_staff])
    r, c = np.nonzero(kept)
    opening = np.r_[True, r[1:] != r[:-1]]
    flat_stage = stage[r, c]
    previous = np.r_[flat_stage[:1], flat_stage[:-1]]
    return Journeys(
        peak=peak,
        stage_id=stage[rows, last],
        outcome=np.where(final_kept, np.where(won, WON_OUTCOME, LOST_OUTCOME), OPEN),
        closed_s=np.where(final_kept, at[:, FINAL], -1),
        updated_s=at[rows, last],
        last_work=last_work.astype(np.int64),
        change_deal=r[~opening],
        change_from=previous[~opening],
        change_to=flat_stage[~opening],
        change_s=at[r, c][~opening],
        change_robot=robot[r, c][~opening],
    )


def _tidied(leads: Leads, roster: Roster) -> np.ndarray:
    """Deals left open by their fate that the owner later marks lost (``story.STALE_LOST_DAYS``):
    every manager's but Ihor's, outside the cohorts whose counts the story fixes exactly."""
    keeps_open = np.array([m.id == people.IHOR.id for m in roster.managers], dtype=bool)
    open_fate = (leads.category == REACH_OPEN) | (leads.category == LOW_OPEN)
    result: np.ndarray = open_fate & ~leads.compress & ~keeps_open[leads.owner] & (leads.late_close_s < 0)
    return result


def _pick(rng: np.random.Generator, n: int, values: list[int], p: list[float]) -> np.ndarray:
    return rng.choice(np.array(values, dtype=np.int64), size=n, p=p)


def _peaks(leads: Leads, early: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The highest open stage (index) each deal reaches, from its category and pipeline."""
    n = len(leads)
    cat, sales = leads.category, leads.pipeline == SALES
    reach = (cat == WON) | (cat == REACH_LOST) | (cat == REACH_OPEN)
    sales_won = _pick(rng, n, [2, 3, 4, 5], [0.04, 0.16, 0.25, 0.55])
    sales_won = np.where(leads.late_close_s >= 0, np.maximum(sales_won, 3), sales_won)
    sales_reach = _pick(rng, n, [3, 4, 5], [0.5, 0.3, 0.2])
    sales_low = _pick(rng, n, [0, 1, 2], [0.3, 0.35, 0.35])
    sales_low = np.where((cat == LOW_LOST) & (rng.random(n) < early), 0, sales_low)
    repeat_won = _pick(rng, n, [0, 1, 2], [0.1, 0.3, 0.6])
    repeat_reach = _pick(rng, n, [1, 2], [0.6, 0.4])
    sales_peak = np.where(cat == WON, sales_won, np.where(reach, sales_reach, sales_low))
    repeat_peak = np.where(cat == WON, repeat_won, np.where(reach, repeat_reach, 0))
    return np.where(leads.pipeline == REPEAT, repeat_peak, np.where(sales, sales_peak, 0))


def _move_times(
    leads: Leads,
    include: np.ndarray,
    first: np.ndarray,
    won: np.ndarray,
    stale: np.ndarray,
    early: np.ndarray,
    response: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Working-clock moment of every column's move; compressed deals end before the deadline."""
    n = len(leads)
    means = np.empty((n, N_COLS))
    means[:, :MAX_OPEN] = np.where((leads.pipeline == REPEAT)[:, None], _REPEAT_GAP_DAYS, _GAP_DAYS)
    means[:, BACK] = 1.0
    means[:, RETURN] = 0.8
    means[:, FINAL] = np.where(won, 2.0, np.where(stale, story.STALE_LOST_DAYS, 1.5 * (1.0 - 0.6 * early)))
    gaps = rng.exponential(1.0, (n, N_COLS)) * means * WORK_DAY_S
    gaps[np.arange(n), first] = 0.0
    gaps = np.where(include, gaps, 0.0)
    offset = np.cumsum(gaps, axis=1) + rng.exponential(1.0, n)[:, None] * response[:, None]
    last = N_COLS - 1 - np.argmax(include[:, ::-1], axis=1)
    total = offset[np.arange(n), last]
    avail = np.maximum(leads.deadline - leads.work0 - _MARGIN_S, 0).astype(np.float64)
    factor = np.where(leads.compress & (total > avail), avail / np.maximum(total, 1.0), 1.0)
    rank = np.cumsum(include, axis=1)
    scaled = np.floor(offset * factor[:, None]).astype(np.int64)
    moments: np.ndarray = leads.work0[:, None] + scaled + rank
    return moments
