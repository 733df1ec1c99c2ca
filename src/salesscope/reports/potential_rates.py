"""The arithmetic of the potential report: median conversions, shrunk rates, potential and gap.

Kept apart from the report's layout so every formula sits in one place and reads like its
definition. A *segment* is one manager's (or one channel's) cohort in one pipeline: how many of
its deals reached each open stage, how many are won and for how much. Won deals reached every
stage, so ``won`` and ``revenue`` are the same at every stage of a segment; only ``reached``
changes, and so the conversion "from this stage on" is ``won / reached(stage)``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from salesscope.reports.funnel_counts import Counts, Stage, StageCounts


@dataclass(frozen=True)
class Segment:
    """One segment's cohort: deals that reached each open stage (by stage id), wins and revenue."""

    reached: dict[int, int]
    won: int
    revenue: Decimal

    def conversion(self, stage_id: int) -> float | None:
        """Won / reached at the stage: the segment's own conversion from that stage to payment."""
        n = self.reached.get(stage_id, 0)
        return self.won / n if n else None


def segment(counts: StageCounts, stages: Sequence[Stage]) -> Segment:
    """A segment from the funnel's counts: open stages' reached, the won stage's deals and amount."""
    won = next((counts.get(s.id, Counts()) for s in stages if s.kind == "won"), Counts())
    reached = {s.id: counts.get(s.id, Counts()).reached for s in stages if s.kind == "open"}
    return Segment(reached, won.reached, won.reached_amount)


def median_rates(members: Iterable[Segment], stages: Sequence[Stage]) -> dict[int, float | None]:
    """Per open stage, the median of the members' own conversions, over members that reached it.

    The median, not the pooled rate, so one manager with many leads does not set the bar for the
    others; a member without a deal at the stage has no rate and is left out (None when nobody
    reached the stage).
    """
    group = list(members)
    out: dict[int, float | None] = {}
    for stage in stages:
        if stage.kind != "open":
            continue
        rates = [r for m in group if (r := m.conversion(stage.id)) is not None]
        out[stage.id] = statistics.median(rates) if rates else None
    return out


def pooled_check(members: Iterable[Segment]) -> float | None:
    """Revenue / won deals over the members together; None without a win."""
    group = list(members)
    won = sum(m.won for m in group)
    return float(sum((m.revenue for m in group), Decimal(0)) / won) if won else None


@dataclass(frozen=True)
class Line:
    """One segment at one stage: what it earned, what it would have at the median, the gap."""

    reached: int
    won: int
    revenue: float
    conversion: float | None
    median: float | None
    shrunk: float | None
    check: float | None
    potential: float | None
    gap: float | None
    shrunk_gap: float | None


def line(seg: Segment, stage_id: int, median: float | None, fallback_check: float | None,
         prior: float) -> Line:
    """The segment at a stage against a median rate.

    - check: the segment's own average won amount (revenue / won), so the gap measures conversion
      and not price; the reference group's check when the segment has no win.
    - potential = reached × median × check; gap = potential − revenue.
    - shrunk = (won + prior × median) / (reached + prior): the own rate as if ``prior`` more deals
      had converted at the median (an empirical-Bayes beta prior), so ten leads do not make an
      alarm; shrunk_gap = reached × (median − shrunk) × check, which is gap × reached /
      (reached + prior).
    """
    reached = seg.reached.get(stage_id, 0)
    revenue = float(seg.revenue)
    check = float(seg.revenue / seg.won) if seg.won else fallback_check
    shrunk = potential = gap = shrunk_gap = None
    if median is not None and reached + prior > 0:
        shrunk = (seg.won + prior * median) / (reached + prior)
    if median is not None and check is not None:
        potential = reached * median * check
        gap = potential - revenue
        shrunk_gap = reached * (median - shrunk) * check if shrunk is not None else None
    elif median is not None:  # no win anywhere to price a deal: nothing could be earned
        potential, gap, shrunk_gap = 0.0, -revenue, 0.0
    return Line(reached, seg.won, revenue, seg.conversion(stage_id), median, shrunk, check,
                potential, gap, shrunk_gap)


def total(lines: Sequence[Line]) -> Line:
    """Lines added up: counts and money summed, conversion and check pooled, the median kept when
    every line used the same one (else None), no shrunk rate (it is a per-segment notion)."""
    reached = sum(x.reached for x in lines)
    won = sum(x.won for x in lines)
    revenue = sum(x.revenue for x in lines)
    medians = {x.median for x in lines}
    return Line(
        reached, won, revenue, won / reached if reached else None,
        medians.pop() if len(medians) == 1 else None, None, revenue / won if won else None,
        _sum(x.potential for x in lines), _sum(x.gap for x in lines),
        _sum(x.shrunk_gap for x in lines),
    )


def _sum(values: Iterable[float | None]) -> float | None:
    """The sum, None when any part is None (a total must not hide a missing part)."""
    parts = list(values)
    return None if any(v is None for v in parts) else sum(v for v in parts if v is not None)
