"""The channels report's counting: leads, proposals, wins and revenue per channel, and spend.

Deals get their channel from ``attribution`` (a window for the first touch, so over every
undeleted deal before any filter), are joined to ``deal_progress`` for the outcome and progress
columns, and then go through ``deal_filter`` — the funnel's own cohort rule — so the leads of all
channels add up to the funnel's first stage for the same filters. Spend is a separate aggregate of
the ``spend`` table by account-local date, matched to the deals by the level's UTM field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from salesscope import settings
from salesscope.reports.activity_cache import per_catalog
from salesscope.reports.filters import Scope, deal_filter
from salesscope.reports.summary_counts import in_period
from salesscope.warehouse.attribution import NONE, channel_of, cleaned, level_name
from salesscope.warehouse.store import Warehouse

ZERO = Decimal(0)

SPEND_COLUMN = {"channel": "source", "utm_source": "source", "utm_medium": "medium",
                "utm_campaign": "campaign", "utm_content": "ad", "source": "source"}
"""The ``spend`` column each attribution level is matched on (the CRM source, too, is matched on
``spend.source``: an ad platform's source name is what a CRM source would call the channel)."""


@dataclass
class ChannelNumbers:
    """What is counted for one channel before the ratios are taken."""

    leads: int = 0
    proposals: int = 0
    won: int = 0
    revenue: Decimal = ZERO
    spend: Decimal = ZERO


def attributed(wh: Warehouse, level: str, touch: str, within: Mapping[str, str]) -> ir.Table:
    """``deal_progress`` rows with a ``channel`` column, limited to the ``within`` channels.

    ``within`` maps a level to a value (``{"channel": "google"}`` for the campaigns of google);
    it uses the same touch as the grouping.
    """
    deals = wh.table("deals")
    deals = deals.filter(~deals.deleted)
    names = {"channel": channel_of(deals, level, touch)}
    names.update({f"within_{i}": channel_of(deals, lvl, touch) for i, lvl in enumerate(within)})
    tagged = deals.mutate(**names)
    for i, value in enumerate(within.values()):
        tagged = tagged.filter(tagged[f"within_{i}"] == value)
    tagged = tagged.select(attributed_id=tagged.id, channel=tagged.channel)
    progress = wh.table("deal_progress").drop("channel")  # the deal's own; this is the touch's
    joined = progress.join(tagged, progress.deal_id == tagged.attributed_id)
    return joined.drop("attributed_id")


def proposal_reached(wh: Warehouse, t: ir.Table) -> ir.BooleanValue | None:
    """Whether a deal reached its pipeline's proposal stage (won deals did), as the metrics
    report counts it: deals of a pipeline without one never do; None when no pipeline has one."""
    at = per_catalog(wh, "channels:proposal_sorts", lambda: proposal_sorts(wh))
    if not at:
        return None
    sort = ibis.cases(*((t.pipeline_id == p, s) for p, s in at.items()), else_=ibis.null("int64"))
    return t.pipeline_id.isin(list(at)) & ((t.outcome == "won") | (t.max_open_sort >= sort))


def proposal_sorts(wh: Warehouse) -> dict[int, int]:
    """Pipeline id -> ``stages.sort`` of its proposal stage, for the pipelines that have one."""
    stages = {int(s["id"]): int(s["sort"]) for s in wh.catalog().stages}
    at: dict[int, int] = {}
    for p in wh.catalog().pipelines:
        proposal = settings.proposal_stage(wh, int(p["id"]))
        if proposal is not None and proposal in stages:
            at[int(p["id"])] = stages[proposal]
    return at


def deal_numbers(wh: Warehouse, scope: Scope, level: str, touch: str, within: Mapping[str, str],
                 by_payment_date: bool) -> dict[str, ChannelNumbers]:
    """Leads (created in the period), proposals among them, and wins with revenue per channel.

    Cohort (default): wins and revenue are the period's leads that are won by now. With
    ``by_payment_date``: wins and revenue are the deals won (closed) in the period, whenever
    they were created; leads and proposals stay the period's new leads.
    """
    t = attributed(wh, level, touch, within)
    cohort = deal_filter(t, scope)
    won = cohort.outcome == "won"
    reached = proposal_reached(wh, cohort)
    measures = {
        "leads": cohort.count(),
        "proposals": cohort.count(where=reached) if reached is not None else ibis.literal(0),
        "won": cohort.count(where=won),
        "revenue": cohort.amount.sum(where=won),
    }
    out: dict[str, ChannelNumbers] = {}
    for r in cohort.group_by("channel").aggregate(**measures).to_pyarrow().to_pylist():
        out[r["channel"]] = ChannelNumbers(r["leads"], r["proposals"], r["won"], r["revenue"] or ZERO)
    if not by_payment_date:
        return out
    for numbers in out.values():
        numbers.won, numbers.revenue = 0, ZERO
    paid = deal_filter(t, dataclasses.replace(scope, start_utc=None, end_utc=None))
    paid = paid.filter(paid.outcome == "won", in_period(paid.closed_at, scope))
    rows = paid.group_by("channel").aggregate(won=paid.count(), revenue=paid.amount.sum())
    for r in rows.to_pyarrow().to_pylist():
        numbers = out.setdefault(r["channel"], ChannelNumbers())
        numbers.won, numbers.revenue = r["won"], r["revenue"] or ZERO
    return out


def spend_splittable(scope: Scope) -> bool:
    """Whether spend can be shown: ad spend is per channel, not per pipeline, manager or tag."""
    return (scope.pipeline_ids is None and scope.owner_ids is None and scope.team_owner_ids is None
            and not scope.tags)


def spend_by_channel(wh: Warehouse, scope: Scope, level: str, within: Mapping[str, str]) -> dict[str, Decimal]:
    """Spend per channel at ``level`` on the period's account-local days (all days without one)."""
    s = wh.table("spend")
    period = scope.filters.period
    if period is not None:
        s = s.filter(s.date >= period.start, s.date < period.end)
    if scope.sources:
        s = s.filter(s.source.strip().lower().isin(scope.sources))
    for lvl, value in within.items():
        s = s.filter(_spend_channel(s, lvl) == value)
    grouped = s.group_by(channel=_spend_channel(s, level)).aggregate(spend=s.spend.sum())
    return {r["channel"]: r["spend"] or ZERO for r in grouped.to_pyarrow().to_pylist()}


def _spend_channel(s: ir.Table, level: str) -> ir.StringValue:
    """A spend row's value at a level, cleaned the way ``attribution`` cleans deals' values."""
    return ibis.coalesce(cleaned(s[SPEND_COLUMN[level_name(level)]]), ibis.literal(NONE))
