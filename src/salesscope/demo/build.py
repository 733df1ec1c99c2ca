"""``build_demo``: generate the demo account and load it into a warehouse in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from salesscope.demo.clock import KYIV, seed_month_of
from salesscope.demo.generate import generate
from salesscope.warehouse.store import Warehouse


@dataclass(frozen=True)
class DemoSummary:
    """What a demo build produced, for the CLI to report."""

    seed: int
    today: dt.date
    scale: str
    seed_month: dt.date
    """First day of the month the guide's cases are built into."""
    counts: dict[str, int] = field(default_factory=dict)
    """Rows per canonical table."""
    seconds: float = 0.0
    """Wall time of generating and loading."""


def build_demo(
    warehouse: Warehouse,
    seed: int = 7,
    today: dt.date | None = None,
    scale: str = "default",
) -> DemoSummary:
    """Replace the warehouse's content with the demo account.

    ``today=None`` means the real current date in Kyiv. When ``today`` is the real date, the data
    stops at the present moment (or 18:00, whichever is earlier) and the sync state records the
    real time of the build; for any other date both are ``today`` 18:00 Kyiv time, so the build is
    reproducible.
    """
    started = time.perf_counter()
    now_utc = dt.datetime.now(dt.UTC)
    real_today = now_utc.astimezone(KYIV).date()
    day = real_today if today is None else today
    live = now_utc.replace(tzinfo=None) if day == real_today else None
    tables = generate(seed, day, scale, now_utc=live)
    warehouse.replace(tables)
    return DemoSummary(
        seed=seed,
        today=day,
        scale=scale,
        seed_month=seed_month_of(day),
        counts={name: t.num_rows for name, t in tables.items()},
        seconds=time.perf_counter() - started,
    )
