"""Deal-based metrics of the catalogue: cohort conversions, closed-deal outcomes, repeat buyers.

The cohort (deals created in the period) is collapsed in one Ibis aggregate of ``deal_progress``
to (pipeline, furthest open stage, outcome, channel) — a few hundred rows at most — and every
cohort metric is read from that; the channel is ``deal_progress.channel``, cleaned at load time
(trimming every deal's UTM and source per report cost 100+ ms at 1M deals). Deals closed in the
period are one more aggregate, of ``closed_deals`` (stored by ``closed_at``), with exact
continuous percentiles (``QUANTILE_CONT`` on DuckDB, ``PERCENTILE_CONT`` on PostgreSQL, both
percentiles from one sort); the period's buyers one more of it. The queries are
``metrics_queries``'; for all time without filters their rows are stored at load time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from salesscope import settings
from salesscope.reports.activity_cache import per_catalog
from salesscope.warehouse.store import Warehouse

DAY_US = 86_400_000_000
"""Microseconds in a day: durations are measured in microseconds and shown in days."""


@dataclass(frozen=True)
class Value:
    """One computed value and what it was computed over (``base``: deals, contacts, stays)."""

    value: float | None
    base: int
    segment: str | None = None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def cohort_values(wh: Warehouse, parts: Mapping[str, pa.Table]) -> dict[str, list[Value]]:
    """Leads per channel, proposal rate, proposal → next stage and deal → payment, from the
    ``cohort`` part (``metrics_queries.fetch``)."""
    groups: list[dict[str, Any]] = parts["cohort"].to_pylist()
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
    marks = per_catalog(wh, "metrics proposal sorts", lambda: _proposal_sorts(wh))
    leads = reached = after = 0
    for pipeline_id in {g["pipeline_id"] for g in groups}:
        at, following = marks.get(pipeline_id, (None, None))
        if at is None:
            continue
        for g in (g for g in groups if g["pipeline_id"] == pipeline_id):
            won = g["outcome"] == "won"
            leads += g["deals"]
            reached += g["deals"] if won or g["max_open_sort"] >= at else 0
            passed = won or (following is not None and g["max_open_sort"] >= following)
            after += g["deals"] if passed else 0
    return leads, reached, after


def _proposal_sorts(wh: Warehouse) -> dict[int, tuple[int | None, int | None]]:
    """Per pipeline: the sort of its proposal stage and of the open stage after it (None: none).

    Kept per catalog (a settings change or a load drops it): reading the setting is a query of
    ~2 ms per pipeline, more than the month's cohort aggregate itself.
    """
    stages = wh.catalog().stages
    marks: dict[int, tuple[int | None, int | None]] = {}
    for pipeline_id in {int(s["pipeline_id"]) for s in stages}:
        proposal = settings.proposal_stage(wh, pipeline_id)
        sorts = sorted(int(s["sort"]) for s in stages
                       if s["pipeline_id"] == pipeline_id and s["kind"] == "open")
        at = next((int(s["sort"]) for s in stages if s["id"] == proposal), None)
        marks[pipeline_id] = (at, None if at is None else next((s for s in sorts if s > at), None))
    return marks


def closed_values(parts: Mapping[str, pa.Table]) -> dict[str, list[Value]]:
    """Win rate, average check and cycle time of the deals closed in the period.

    Read from ``closed_deals`` (``derived_open``: the won and lost rows of ``deal_progress``,
    stored by outcome and ``closed_at``), so a period of closings reads only its own row groups;
    deals closed but open again count in neither, as before.
    """
    r = parts["closed"].to_pylist()[0]
    n_won, n_lost = r["won"], r["lost"]
    amount = r["won_amount"] or Decimal(0)
    median, p75 = ((r["cycle_us"][0] / DAY_US, r["cycle_us"][1] / DAY_US)
                   if n_won and r["cycle_us"] is not None else (None, None))
    return {
        "win_rate": [Value(_ratio(n_won, n_won + n_lost), n_won + n_lost)],
        "average_check": [Value(float(round(amount / n_won, 2)) if n_won else None, n_won)],
        "cycle_median_d": [Value(median, n_won)],
        "cycle_p75_d": [Value(p75, n_won)],
    }


def repeat_buyers(parts: Mapping[str, pa.Table]) -> dict[str, list[Value]]:
    """Share of the period's buyers (contacts) with two or more won deals in all."""
    counted = parts["repeat"].to_pylist()[0]
    return {"repeat_buyer_share": [Value(_ratio(counted["repeat"], counted["buyers"]),
                                         counted["buyers"])]}
