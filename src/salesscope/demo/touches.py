"""Touches: the notes, messages, calls and tasks a manager spends on each deal.

A deal is worked from its arrival until its last move (and, while it stays open, a few more days
after it). The number of touches grows with how long the deal was worked; their moments are spread
uniformly over that span *on the owner's working clock*, so they all fall in working hours and
never after the owner's last working moment. Clients' replies (``message_in``) follow the
managers' messages in wall-clock time and may arrive at any hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo.book import DealBook
from salesscope.demo.journeys import OPEN
from salesscope.demo.profiles import TOUCH_KINDS, WORK_DAY_S
from salesscope.demo.roster import Roster

NOTE, MESSAGE_OUT, CALL_OUT, CALL_IN, TASK = range(len(TOUCH_KINDS))
_MIN_SPAN_S = 1800
_OPEN_TAIL_DAYS = 3.0
_REPLY_SHARE = 0.55


@dataclass(frozen=True)
class Touches:
    """One row per touch, in deal order."""

    deal: np.ndarray
    kind: np.ndarray
    """Index into ``profiles.TOUCH_KINDS``."""
    work: np.ndarray
    """Owner's working clock."""
    at_s: np.ndarray
    """Local seconds."""

    def of_kind(self, *kinds: int) -> np.ndarray:
        return np.flatnonzero(np.isin(self.kind, kinds))


def draw_touches(
    book: DealBook, roster: Roster, touch_factor: float, rng: np.random.Generator
) -> Touches:
    lead, j = book.leads, book.journeys
    n = len(book)
    work_end = roster.work_end[lead.owner]
    tail = np.where(j.outcome == OPEN, rng.exponential(_OPEN_TAIL_DAYS * WORK_DAY_S, n), 0.0)
    start = lead.work0
    end = np.maximum(j.last_work + tail.astype(np.int64), start + _MIN_SPAN_S)
    end = np.minimum(end, work_end)
    span = np.maximum(end - start, 0)
    rate = np.array([p.touch_rate for p in roster.profiles])[lead.owner] * lead.touch_rate
    mean = touch_factor * rate * (3.0 + 2.2 * np.minimum(span / WORK_DAY_S, 30.0))
    count = np.where(span > 0, rng.poisson(mean), 0)
    deal = np.repeat(np.arange(n), count)
    work = start[deal] + (rng.random(len(deal)) * span[deal]).astype(np.int64)
    owner = lead.owner[deal]
    weights = np.array([p.kinds for p in roster.profiles], dtype=np.float64)
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    kind = np.zeros(len(deal), dtype=np.int64)
    draw = rng.random(len(deal))
    for k in range(len(TOUCH_KINDS) - 1):
        kind += draw >= cum[owner, k]
    at_s = roster.schedule.to_clock(owner, work)
    return Touches(deal=deal, kind=kind, work=work, at_s=at_s)


def client_replies(
    touches: Touches, book: DealBook, roster: Roster, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Clients' answers to managers' messages: (deal, local seconds), at any hour.

    Replies that would come after the owner's last working moment are left out, so a departed
    manager's deals fall silent.
    """
    out = touches.of_kind(MESSAGE_OUT)
    out = out[rng.random(len(out)) < _REPLY_SHARE]
    lag = np.exp(rng.normal(np.log(2400.0), 1.1, len(out))).astype(np.int64) + 30
    deal = touches.deal[out]
    at = touches.at_s[out] + lag
    keep = at < roster.last_action_s[book.leads.owner[deal]]
    return deal[keep], at[keep]
