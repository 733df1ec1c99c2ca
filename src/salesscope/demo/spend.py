"""Advertising spend of the demo account: one row per day, campaign and ad, as an ad platform
export would give it, so the channels report has money to set against the leads.

Each campaign of ``deal_fields.UTM`` has a daily budget chosen against the revenue its leads
bring (about 100-360 thousand UAH a month per campaign): google brand search and email pay back
many times, facebook's lead-form campaign clearly loses money, and a TikTok campaign spends
without bringing a single lead (the demo's deals never carry utm_source tiktok). Days vary by
weekday and a little noise from the ``spend`` stream; the budget is split over the ads with fixed
weights. Pure numpy over ~450 days x 12 campaigns x 5 ads: a few milliseconds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from salesscope.demo import columns
from salesscope.demo.catalog import CURRENCY
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.deal_fields import UTM, UTM_CONTENT
from salesscope.warehouse.arrow import arrow_schema

# Daily budget in UAH per (utm_source, campaign); the medium comes from ``UTM``.
DAILY_BUDGET = {
    ("google", "brand_search"): 2500,
    ("google", "generic_search"): 6000,
    ("google", "remarketing"): 3000,
    ("facebook", "lookalike_kyiv"): 3500,
    ("facebook", "retargeting"): 2000,
    ("facebook", "lead_form"): 14000,  # ~420k a month against ~130k of revenue: the losing one
    ("instagram", "stories_promo"): 3000,
    ("instagram", "reels_promo"): 4000,
    ("email", "newsletter_monthly"): 300,
    ("email", "reactivation"): 200,
}
NO_LEADS = ("tiktok", "paid", "spring_launch", 2500)
"""A campaign that spends and brings no lead: (source, medium, campaign, daily budget)."""
PLATFORM = {"google": "google_ads", "facebook": "meta_ads", "instagram": "meta_ads",
            "tiktok": "tiktok_ads", "email": "file"}
AD_WEIGHTS = np.array([0.3, 0.2, 0.25, 0.15, 0.1])
"""Share of a campaign's budget per ad of ``UTM_CONTENT``."""
WEEKDAY = np.array([1.1, 1.1, 1.05, 1.0, 0.95, 0.6, 0.55])
"""Budget factor Monday to Sunday."""
COST_PER_CLICK = {"google": 12.0, "facebook": 7.0, "instagram": 6.0, "tiktok": 4.0, "email": 0.5}
CLICK_THROUGH = 0.025


def spend_table(calendar: DemoCalendar, rng: np.random.Generator) -> pa.Table:
    """The ``spend`` table from the demo's first day through ``today``."""
    campaigns = [(source, medium, name, DAILY_BUDGET[(source, name)])
                 for source, medium, names in UTM for name in names]
    campaigns.append(NO_LEADS)
    first = calendar.month_starts[0]
    days = np.arange(calendar.n_days)
    weekday = WEEKDAY[(first.weekday() + days) % 7]
    n_c, n_a, n_d = len(campaigns), len(UTM_CONTENT), len(days)
    budget = np.array([c[3] for c in campaigns], dtype=np.float64)
    noise = rng.uniform(0.8, 1.2, (n_d, n_c))
    # (day, campaign, ad) in that order, whole hryvnias
    amount = np.rint(weekday[:, None, None] * budget[None, :, None] * noise[:, :, None]
                     * AD_WEIGHTS[None, None, :]).astype(np.int64)
    day = np.repeat(days, n_c * n_a)
    campaign = np.tile(np.repeat(np.arange(n_c), n_a), n_d)
    ad = np.tile(np.arange(n_a), n_d * n_c)
    cpc = np.array([COST_PER_CLICK[c[0]] for c in campaigns])[campaign]
    clicks = np.rint(amount.ravel() / cpc).astype(np.int64)
    n = len(day)
    dates = pa.array([first + dt.timedelta(days=int(d)) for d in range(n_d)], pa.date32())
    table = {
        "id": columns.ids(np.arange(1, n + 1)),
        "date": dates.take(pa.array(day)),
        "platform": columns.labels(campaign, [PLATFORM[c[0]] for c in campaigns]),
        "source": columns.labels(campaign, [c[0] for c in campaigns]),
        "medium": columns.labels(campaign, [c[1] for c in campaigns]),
        "campaign": columns.labels(campaign, [c[2] for c in campaigns]),
        "ad": columns.labels(ad, UTM_CONTENT),
        "spend": columns.money(amount.ravel()),
        "currency": pa.array(np.full(n, CURRENCY)),
        "spend_original": columns.money(amount.ravel()),
        "clicks": columns.ids(clicks),
        "impressions": columns.ids(np.rint(clicks / CLICK_THROUGH).astype(np.int64)),
        "file": pa.nulls(n, pa.string()),
    }
    return pa.table(table, schema=arrow_schema("spend"))
