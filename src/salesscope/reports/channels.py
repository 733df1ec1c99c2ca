"""Marketing channels: what each channel cost, brought and paid back.

A deal's channel comes from ``attribution`` (utm_source, else the CRM source, else ``(none)``, at
the level ``--by`` asks for). Default model, cohort: leads are the deals created in the period
(the funnel's cohort, same filters, so the leads add up to the funnel's total), with the wins and
revenue those leads have brought to date. ``--by-payment-date`` counts wins and revenue by the day
they closed instead. Spend comes from the ``spend`` table by account-local day; ad money is per
channel, not per pipeline, manager, team or tag, so with any of those filters spend and the
numbers built on it are empty (and the meta says why) rather than wrongly attributed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from salesscope import settings
from salesscope.reports import drill
from salesscope.reports.activity_cache import per_catalog
from salesscope.reports.channels_counts import (
    ChannelNumbers,
    deal_numbers,
    spend_by_channel,
    spend_splittable,
)
from salesscope.reports.drill import DealListOptions
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportOption, ReportSpec
from salesscope.warehouse.attribution import TOUCHES, level_name
from salesscope.warehouse.store import Warehouse

NAME = "channels"
TITLE = "Marketing channels: spend, leads, revenue, ROI"
SUMMARY = ("Per channel (utm_source, else the CRM source), campaign or ad: spend, leads, cost per "
           "lead, proposals, wins, conversion, revenue, cost per win, average check, ROI, ROMI and "
           "profit; leads are the deals created in the period, followed to today.")

TOTAL = "All"
SPEND_NOTE = ("Spend is per channel, not per pipeline, manager, team or tag: with those filters "
              "spend, CPL, CPA, ROI, ROMI and profit are left empty.")

CHART = {"type": "bar", "x": "channel", "y": ["spend", "revenue"], "where": {"row_kind": "channel"}}
"""Spend beside revenue per channel (grouped bars), drawn by ``web.charts.generic_figures``."""

# Where a row's breakdown leads: a channel to its campaigns, a campaign to its ads.
NEXT_LEVEL = {"channel": "utm_campaign", "utm_source": "utm_campaign", "utm_campaign": "utm_content"}
# Report options that keep a breakdown inside one channel or campaign (option -> level).
WITHIN = {"channel": "channel", "utm_source": "utm_source", "utm_medium": "utm_medium",
          "utm_campaign": "utm_campaign"}

_LEVEL_LABELS = {"channel": "Channel", "utm_source": "utm_source", "utm_medium": "utm_medium",
                 "utm_campaign": "Campaign", "utm_content": "Ad (utm_content)", "source": "CRM source"}


def _columns(level: str, currency: str, by_payment_date: bool) -> list[ColumnSpec]:
    won_rule = ("deals won (closed) in the period, whenever created" if by_payment_date
                else "leads of the period that are won by now")
    money = currency or None
    return [
        ColumnSpec("channel", _LEVEL_LABELS[level], "string",
                   "The deals' channel at this level: utm_source, else the CRM source, else "
                   "(none) (blank counts as none; a literal unknown stays unknown). All = total."),
        ColumnSpec("spend", "Spend", "money", "Advertising spend on the period's days (account-local) "
                   "matched on the level's UTM field; empty with a pipeline, manager, team or tag "
                   "filter.", money),
        ColumnSpec("leads", "Leads", "integer", "Deals created in the period (not deleted), as the "
                   "funnel counts them."),
        ColumnSpec("cpl", "CPL", "money", "Cost per lead: spend / leads; empty without leads.", money),
        ColumnSpec("proposals", "Proposals", "integer", "Leads that reached their pipeline's "
                   "proposal stage (setting proposal_stage; won deals reached it)."),
        ColumnSpec("won", "Won", "integer", f"Won deals: {won_rule}."),
        ColumnSpec("conversion", "Conversion", "fraction", "Won / leads; empty without leads."),
        ColumnSpec("revenue", "Revenue", "money", f"Sum of the budgets of the won deals ({won_rule}).",
                   money),
        ColumnSpec("cpa", "CPA", "money", "Cost per won deal: spend / won; empty without wins.", money),
        ColumnSpec("avg_check", "Average check", "money", "Revenue / won; empty without wins.", money),
        ColumnSpec("roi", "ROI", "fraction", "(revenue - spend) / spend; empty without spend."),
        ColumnSpec("romi", "ROMI", "fraction", "(revenue x margin - spend) / spend, with the "
                   "margin_percent setting; empty without it or without spend."),
        ColumnSpec("profit", "Profit", "money", "Revenue - spend; revenue x margin - spend when the "
                   "margin_percent setting is set.", money),
        ColumnSpec("row_kind", "Row", "string", "channel, or total for All."),
        ColumnSpec("breakdown", "Breakdown", "string", "The channels report query one level down: "
                   "a channel's campaigns, a campaign's ads; empty at the finest level."),
        ColumnSpec("drill", "Drill", "string", "The `salesscope deals` query listing the deals "
                   "counted in Won (drill.for_column gives Leads and Proposals); empty for a "
                   "channel with spend and no deals."),
    ]


def channels(wh: Warehouse, filters: Filters) -> ReportResult:
    """The channels report for the level, touch and date model asked for."""
    scope = resolve(wh, filters, SPEC.groupings)
    level = level_name(filters.by or "channel")
    touch = str(filters.option("touch") or "last").strip().lower()
    if touch not in TOUCHES:
        raise FilterError("--touch", touch, list(TOUCHES))
    paid = bool(filters.option("by_payment_date"))
    within = _within(filters)
    numbers = deal_numbers(wh, scope, level, touch, within, paid)
    margin = per_catalog(wh, "channels:margin", lambda: settings.get(wh, "margin_percent"))
    described = filters.describe()
    spend: dict[str, Decimal] | None = None
    if spend_splittable(scope):
        spend = spend_by_channel(wh, scope, level, within)
        for channel, amount in spend.items():
            numbers.setdefault(channel, ChannelNumbers()).spend = amount
    else:
        described["note"] = SPEND_NOTE
    described["margin_percent"] = margin
    base = drill.scope_filters(scope)
    rows: list[dict[str, Any]] = []
    for channel in sorted(numbers, key=lambda c: (-numbers[c].leads, -numbers[c].revenue, c)):
        n = numbers[channel]
        has_deals = n.leads or n.won
        rows.append({"channel": channel, **_values(n, spend is not None, margin), "row_kind": "channel",
                     "breakdown": _breakdown(filters, level, within, channel),
                     "drill": _drill(base, {**within, level: channel}, touch, paid) if has_deals else None})
    all_of = ChannelNumbers()
    for n in numbers.values():
        all_of.leads += n.leads
        all_of.proposals += n.proposals
        all_of.won += n.won
        all_of.revenue += n.revenue
        all_of.spend += n.spend
    rows.append({"channel": TOTAL, **_values(all_of, spend is not None, margin), "row_kind": "total",
                 "breakdown": None, "drill": _drill(base, within, touch, paid)})
    return ReportResult.from_rows(NAME, TITLE, _columns(level, scope.currency, paid), rows, described,
                                  wh.data_as_of())


def _within(filters: Filters) -> dict[str, str]:
    """The channel/campaign a breakdown is limited to (report options ``--channel`` ...)."""
    return {level: str(filters.option(name)).strip() for name, level in WITHIN.items()
            if filters.option(name) is not None and str(filters.option(name)).strip()}


def _ratio(part: Decimal | int, whole: Decimal | int | None) -> float | None:
    """part / whole, or None when the whole is missing or zero (never 0 or infinity)."""
    if whole is None or whole == 0:
        return None
    return float(Decimal(part) / Decimal(whole))


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 2))


def _values(n: ChannelNumbers, with_spend: bool, margin: float | None) -> dict[str, Any]:
    """Every number of a row; spend-based ones are empty when spend cannot be shown."""
    spend = n.spend if with_spend else None
    earned = n.revenue if margin is None else n.revenue * Decimal(str(margin)) / 100
    per_lead = _ratio(spend, n.leads) if spend is not None else None
    per_win = _ratio(spend, n.won) if spend is not None else None
    return {
        "spend": _money(spend),
        "leads": n.leads,
        "cpl": round(per_lead, 2) if per_lead is not None else None,
        "proposals": n.proposals,
        "won": n.won,
        "conversion": _ratio(n.won, n.leads),
        "revenue": _money(n.revenue),
        "cpa": round(per_win, 2) if per_win is not None else None,
        "avg_check": round(avg, 2) if (avg := _ratio(n.revenue, n.won)) is not None else None,
        "roi": _ratio(n.revenue - spend, spend) if spend is not None else None,
        "romi": _ratio(earned - spend, spend) if spend is not None and margin is not None else None,
        "profit": _money(earned - spend) if spend is not None else None,
    }


def _drill(base: Filters, attribution: Mapping[str, str], touch: str, paid: bool) -> str:
    """The won deals behind a row (``drill.for_column`` turns it into its leads or proposals)."""
    options = DealListOptions(status="won", dated="closed" if paid else "created",
                              attribution=tuple(attribution.items()), touch=touch)
    return drill.query(base, options)


def _breakdown(filters: Filters, level: str, within: Mapping[str, str], channel: str) -> str | None:
    """``salesscope report channels`` arguments one level down, as a query string."""
    below = NEXT_LEVEL.get(level)
    if below is None:
        return None
    inside = {**within, level: channel}
    pairs = [("by", below)]
    pairs += [(name, inside[lvl]) for name, lvl in WITHIN.items() if lvl in inside]
    for name in ("touch", "by_payment_date"):
        value = filters.option(name)
        if value not in (None, False, "last"):
            pairs.append((name, str(value).lower()))
    return "&".join(part for part in (drill.query(replace(filters, by=None, options=())),
                                      urlencode(pairs)) if part)


SPEC = ReportSpec(
    NAME, TITLE, SUMMARY, ("channel", "utm_source", "utm_medium", "utm_campaign", "utm_content", "ad",
                           "source"),
    channels,
    (
        ReportOption("touch", str, "last", "last: each deal's own UTM/source; first: the channel of "
                     "the contact's earliest deal (a deal without a contact is its own first touch)."),
        ReportOption("by_payment_date", bool, False, "Count wins and revenue by the day the deal was "
                     "won instead of following the period's leads to today."),
        ReportOption("channel", str, None, "Only deals (and spend) of this channel."),
        ReportOption("utm_source", str, None, "Only deals (and spend) with this utm_source."),
        ReportOption("utm_medium", str, None, "Only deals (and spend) with this utm_medium."),
        ReportOption("utm_campaign", str, None, "Only deals (and spend) of this campaign."),
    ),
)
