"""Deal-based metrics of the catalogue: cohort conversions, closed-deal outcomes, repeat buyers.

The cohort (deals created in the period) is collapsed in one Ibis aggregate of ``deal_progress``
to (pipeline, furthest open stage, outcome, channel) — a few hundred rows at most — and every
cohort metric is read from that. Deals closed in the period are one more aggregate, with exact
continuous percentiles (``QUANTILE_CONT`` on DuckDB, ``PERCENTILE_CONT`` on PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from salesscope import settings
from salesscope.reports.activity_cache import compiled_arrow, scope_key
from salesscope.reports.attribution import own_channel
from salesscope.reports.filters import Scope, deal_filter
from salesscope.reports.summary_counts import in_period, undated
from salesscope.warehouse.store import Warehouse

DAY_S = 86400.0


@dataclass(frozen=True)
class Value:
    """One computed value and what it was computed over (``base``: deals, contacts, stays)."""

    value: float | None
    base: int
    segment: str | None = None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def cohort_values(wh: Warehouse, scope: Scope) -> dict[str, list[Value]]:
    """Leads per channel, proposal rate, proposal → next stage and deal → payment."""
    def grouped() -> ir.Table:
        c = deal_filter(wh.table("deal_progress"), scope)
        channel = own_channel(c, "channel")
        return c.group_by(pipeline_id=c.pipeline_id, max_open_sort=c.max_open_sort,
                          outcome=c.outcome, channel=channel).aggregate(deals=c.count())

    groups: list[dict[str, Any]] = compiled_arrow(wh, ("metrics cohort", scope_key(scope)), grouped).to_pylist()
    per_channel: dict[str, int] = defaultdict(int)
    for g in groups:
        per_channel[g["channel"]] += g["deals"]
    leads = sum(per_channel.values())
    won = sum(g["deals"] for g in groups if g["outcome"] == "won")
    in_pipes, reached, after = _proposal_counts(wh, groups)
    return {
        "leads_per_channel": [Value(float(n), leads, name) for name, n in
                              sorted(per_channel.items(), key=lambda kv: (-kv[1], kv[0]))],
        "proposal_rate": [Value(_ratio(reached, in_pipes), in_pipes)],
        "proposal_to_next": [Value(_ratio(after, reached), reached)],
        "deal_to_payment": [Value(_ratio(won, leads), leads)],
    }


def _proposal_counts(wh: Warehouse, groups: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(cohort deals in pipelines with a proposal stage, reached it, reached the stage after)."""
    stages = wh.catalog().stages
    leads = reached = after = 0
    for pipeline_id in {g["pipeline_id"] for g in groups}:
        proposal = settings.proposal_stage(wh, pipeline_id)
        sorts = sorted(int(s["sort"]) for s in stages
                       if s["pipeline_id"] == pipeline_id and s["kind"] == "open")
        at = next((int(s["sort"]) for s in stages if s["id"] == proposal), None)
        if at is None:
            continue
        following = next((s for s in sorts if s > at), None)
        for g in (g for g in groups if g["pipeline_id"] == pipeline_id):
            won = g["outcome"] == "won"
            leads += g["deals"]
            reached += g["deals"] if won or g["max_open_sort"] >= at else 0
            passed = won or (following is not None and g["max_open_sort"] >= following)
            after += g["deals"] if passed else 0
    return leads, reached, after


def closed_values(wh: Warehouse, scope: Scope) -> dict[str, list[Value]]:
    """Win rate, average check and cycle time of the deals closed in the period."""
    def closed() -> ir.Table:
        t = deal_filter(wh.table("deal_progress"), undated(scope))
        t = t.filter(in_period(t.closed_at, scope))
        won = t.outcome == "won"
        days = ((t.closed_at.epoch_seconds() - t.created_at.epoch_seconds()) / DAY_S).cast("float64")
        return t.aggregate(
            won=t.count(where=won), lost=t.count(where=t.outcome == "lost"),
            won_amount=t.amount.sum(where=won),
            cycle_median=days.quantile(0.5, where=won), cycle_p75=days.quantile(0.75, where=won),
        )

    r = compiled_arrow(wh, ("metrics closed", scope_key(scope)), closed).to_pylist()[0]
    n_won, n_lost = r["won"], r["lost"]
    amount = r["won_amount"] or Decimal(0)
    return {
        "win_rate": [Value(_ratio(n_won, n_won + n_lost), n_won + n_lost)],
        "average_check": [Value(float(round(amount / n_won, 2)) if n_won else None, n_won)],
        "cycle_median_d": [Value(r["cycle_median"], n_won)],
        "cycle_p75_d": [Value(r["cycle_p75"], n_won)],
    }


def repeat_buyers(wh: Warehouse, scope: Scope) -> dict[str, list[Value]]:
    """Share of the period's buyers (contacts) with two or more won deals in all."""
    def counted_buyers() -> ir.Table:
        t = deal_filter(wh.table("deal_progress"), undated(scope))
        t = t.filter(t.outcome == "won", in_period(t.closed_at, scope), t.contact_id.notnull())
        # Whether a buyer has two wins is a property of the contact, precomputed at load time:
        # with an end, two won deals closed before it; without, two won deals at all.
        repeat = (t.contact_second_win_at < scope.end_utc if scope.end_utc is not None
                  else t.contact_wins >= 2)
        buyers = t.select(buyer=t.contact_id, repeat=repeat).distinct()
        return buyers.aggregate(buyers=buyers.count(), repeat=buyers.count(where=buyers.repeat))

    counted = compiled_arrow(wh, ("metrics repeat", scope_key(scope)), counted_buyers).to_pylist()[0]
    return {"repeat_buyer_share": [Value(_ratio(counted["repeat"], counted["buyers"]),
                                         counted["buyers"])]}
