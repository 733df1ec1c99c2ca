"""The deal book: every deal of both pipelines in one set of arrays, in id order.

Sales deals come first in generation; repeat-sales deals are then drawn for contacts who already
bought (their Sales deal was won before the repeat request arrives). The book puts both together,
orders them by creation moment — CRM ids grow with time — and keeps each deal's contact.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from salesscope.demo.journeys import WON_OUTCOME, Journeys
from salesscope.demo.leads import Leads

FIRST_DEAL_ID = 20_000_001
FIRST_CHANGE_ID = 60_000_001
_KEY = np.int64(1) << 40


@dataclass(frozen=True)
class DealBook:
    """All deals (rows in id order) and all stage moves (rows in time order)."""

    leads: Leads
    journeys: Journeys
    contact: np.ndarray
    """Index of the deal's contact; contacts are numbered by their first (Sales) deal."""
    n_contacts: int

    @property
    def ids(self) -> np.ndarray:
        return FIRST_DEAL_ID + np.arange(len(self.leads), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.leads)


def repeat_buyers(
    repeat: Leads, sales: Leads, sales_journeys: Journeys, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """For each repeat deal, a Sales deal of the same owner won before it arrived.

    Returns a keep mask (repeat deals without any earlier buyer are dropped) and the chosen Sales
    deal per kept repeat deal.
    """
    won = np.flatnonzero(sales_journeys.outcome == WON_OUTCOME)
    key = sales.owner[won] * _KEY + sales_journeys.closed_s[won]
    order = np.argsort(key, kind="stable")
    won, key = won[order], key[order]
    lo = np.searchsorted(key, repeat.owner * _KEY, side="left")
    hi = np.searchsorted(key, repeat.owner * _KEY + repeat.created_s, side="left")
    keep = hi > lo
    pick = lo + (rng.random(len(repeat)) * (hi - lo)).astype(np.int64)
    return keep, won[np.minimum(pick, len(won) - 1)][keep]


def assemble(
    sales: Leads, sales_journeys: Journeys, repeat: Leads, repeat_journeys: Journeys,
    buyer: np.ndarray,
) -> DealBook:
    """Both pipelines' deals in creation order, with stage moves re-pointed and time-ordered."""
    n_sales = len(sales)
    leads = _concat(sales, repeat)
    journeys = _concat_journeys(sales_journeys, repeat_journeys, n_sales)
    contact_src = np.concatenate([np.arange(n_sales), buyer])
    order = np.lexsort((np.arange(len(leads)), leads.created_s))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    # contacts are numbered in the id order of the Sales deal that brought them
    number = np.empty(n_sales, dtype=np.int64)
    number[np.argsort(rank[:n_sales], kind="stable")] = np.arange(n_sales)
    contact = number[contact_src[order]]
    leads = leads.select(order)
    journeys = _reorder_journeys(journeys, order, rank)
    return DealBook(leads, journeys, contact, n_sales)


def _concat(a: Leads, b: Leads) -> Leads:
    return Leads(**{f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)])
                    for f in fields(Leads)})


def _concat_journeys(a: Journeys, b: Journeys, offset: int) -> Journeys:
    parts = {f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Journeys)}
    parts["change_deal"] = np.concatenate([a.change_deal, b.change_deal + offset])
    return Journeys(**parts)


def _reorder_journeys(j: Journeys, order: np.ndarray, rank: np.ndarray) -> Journeys:
    per_deal = {f.name: getattr(j, f.name)[order] for f in fields(Journeys)
                if not f.name.startswith("change_")}
    deal = rank[j.change_deal]
    # time order; moves of one deal at one moment keep their walk order
    seq = np.arange(len(deal))
    by_time = np.lexsort((seq, j.change_s))
    return Journeys(
        **per_deal,
        change_deal=deal[by_time],
        change_from=j.change_from[by_time],
        change_to=j.change_to[by_time],
        change_s=j.change_s[by_time],
        change_robot=j.change_robot[by_time],
    )
