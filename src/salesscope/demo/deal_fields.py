"""Descriptive fields of deals: where a lead came from, its UTM tags, tags, why it was lost.

Each field is drawn as small integer codes over a fixed list of labels; ``columns.labels`` turns
the codes into Arrow strings. A negative code is a real NULL (no UTM on about 30% of leads), never
a literal 'NULL' or ''.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from salesscope.demo.book import DealBook
from salesscope.demo.cohorts import REPEAT, SALES
from salesscope.demo.journeys import LOST_OUTCOME

SOURCES = ("website form", "chat", "phone", "referral", "instagram")
_SALES_SOURCE_P = (0.35, 0.2, 0.2, 0.1, 0.15)
_REPEAT_SOURCE_P = (0.15, 0.35, 0.4, 0.1, 0.0)
STAFF_SOURCES = (2, 3)
"""phone and referral leads are typed in by the manager (during working hours)."""
CLIENT_WRITES_FIRST = (1, 4)
"""chat and instagram leads start with the client's message."""

UTM = (  # (utm_source, utm_medium, campaigns)
    ("google", "cpc", ("brand_search", "generic_search", "remarketing")),
    ("facebook", "paid", ("lookalike_kyiv", "retargeting", "lead_form")),
    ("instagram", "paid", ("stories_promo", "reels_promo")),
    ("email", "newsletter", ("newsletter_monthly", "reactivation")),
)
UTM_CONTENT = ("banner_a", "banner_b", "video_1", "carousel_2", "text_ad")
_UTM_BY_SOURCE = np.array([  # probability of no UTM, then of each UTM row, per source
    [0.10, 0.50, 0.25, 0.00, 0.15],
    [0.20, 0.45, 0.35, 0.00, 0.00],
    [0.60, 0.40, 0.00, 0.00, 0.00],
    [0.90, 0.00, 0.00, 0.00, 0.10],
    [0.05, 0.00, 0.00, 0.95, 0.00],
])

TAGS = ("vip", "wholesale", "urgent", "partner", "repeat")
LOSS_REASONS = ("Дорого", "Не відповідає", "Обрав конкурента", "Немає потреби", "Не на часі")
_LOSS_EARLY_P = (0.10, 0.40, 0.05, 0.30, 0.15)
_LOSS_LATE_P = (0.35, 0.05, 0.30, 0.10, 0.20)


@dataclass(frozen=True)
class DealFields:
    source: np.ndarray
    utm: np.ndarray
    """Row of ``UTM`` or -1."""
    campaign: np.ndarray
    content: np.ndarray
    loss_reason: np.ndarray
    deleted: np.ndarray
    tags: pa.Array


def draw_fields(book: DealBook, seed_index: int, rng: np.random.Generator) -> DealFields:
    lead, j = book.leads, book.journeys
    n = len(book)
    repeat = lead.pipeline == REPEAT
    source = np.where(
        repeat,
        rng.choice(len(SOURCES), n, p=_REPEAT_SOURCE_P),
        rng.choice(len(SOURCES), n, p=_SALES_SOURCE_P),
    )
    cum = np.cumsum(_UTM_BY_SOURCE[source], axis=1)
    utm = (rng.random(n)[:, None] > cum).sum(axis=1) - 1
    utm = np.minimum(utm, len(UTM) - 1)
    campaign_n = np.array([len(u[2]) for u in UTM])
    campaign = np.where(utm >= 0, (rng.random(n) * campaign_n[np.maximum(utm, 0)]).astype(int), -1)
    content = np.where(utm >= 0, rng.integers(0, len(UTM_CONTENT), n), -1)
    late = j.peak >= np.where(repeat, 1, 3)
    reason = np.where(late, rng.choice(5, n, p=_LOSS_LATE_P), rng.choice(5, n, p=_LOSS_EARLY_P))
    reason = np.where(j.outcome == LOST_OUTCOME, reason, -1)
    story_deal = ((lead.month == seed_index) & (lead.pipeline == SALES)) | (lead.late_close_s >= 0)
    deleted = (rng.random(n) < 0.01) & ~story_deal
    return DealFields(source, utm, campaign, content, reason, deleted,
                      _tags(source, repeat, rng))


def _tags(source: np.ndarray, repeat: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """A few tags on some deals, [] on most."""
    n = len(source)
    has = np.stack([
        rng.random(n) < 0.03,
        rng.random(n) < 0.04,
        rng.random(n) < 0.02,
        (source == 3) & (rng.random(n) < 0.4),
        repeat,
    ], axis=1)
    _, tag = np.nonzero(has)
    offsets = np.concatenate([[0], np.cumsum(has.sum(axis=1))]).astype(np.int32)
    values = pa.DictionaryArray.from_arrays(pa.array(tag.astype(np.int32)), pa.array(TAGS))
    return pa.ListArray.from_arrays(pa.array(offsets), values.dictionary_decode())
