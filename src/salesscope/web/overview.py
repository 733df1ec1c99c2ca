"""The overview page's numbers: today and this week against plan and against the usual range.

Composed only from registered reports (a surface never computes a metric): each tile names the
reports and columns it can be read from, in order of preference, and shows "—" with the reason
when none is there. The usual range is the lowest and highest value of the same span in each of
the previous ``USUAL_WEEKS`` weeks (the same weekday for today; Monday to the same weekday for
this week), so a Monday is compared with Mondays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from salesscope.reports import drill, registry
from salesscope.reports.drill import DealListOptions
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period, month_of
from salesscope.reports.result import ReportResult

USUAL_WEEKS = 8
log = logging.getLogger("salesscope.web.overview")

RunReport = Callable[[str, Filters], ReportResult]


@dataclass(frozen=True)
class Source:
    """Where a tile's number can be read: a report, the columns summed over its rows."""

    report: str
    columns: tuple[str, ...]
    where: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: str  # integer or money
    sources: tuple[Source, ...]
    drill: Mapping[str, Any] | None = None
    plan_metric: str | None = None


METRICS: tuple[Metric, ...] = (
    Metric("leads", "Leads", "integer",
           (Source("summary", ("deals_created",)), Source("funnel", ("reached",), {"stage_order": 1})),
           drill={}),
    Metric("proposals", "Proposals", "integer", (Source("employees", ("proposals_sent",)),)),
    Metric("payments", "Payments", "integer", (Source("summary", ("won",)),),
           drill={"status": "won", "dated": "closed"}, plan_metric="won_count"),
    Metric("revenue", "Revenue", "money", (Source("summary", ("won_amount",)),),
           drill={"status": "won", "dated": "closed"}, plan_metric="won_amount"),
    Metric("calls", "Calls", "integer",
           (Source("calls", ("incoming", "outgoing")), Source("employees", ("calls_in", "calls_out")))),
)


@dataclass(frozen=True)
class Span:
    """One tile cell: a value for a span, its usual range, its plan and the deal list behind it."""

    value: float | None
    low: float | None = None
    high: float | None = None
    plan: float | None = None
    href: str | None = None

    @property
    def versus_usual(self) -> str | None:
        if self.value is None or self.low is None or self.high is None:
            return None
        if self.value > self.high:
            return "above"
        if self.value < self.low:
            return "below"
        return "within"


@dataclass(frozen=True)
class Tile:
    metric: Metric
    definition: str
    today: Span
    week: Span
    missing: str | None = None
    # The definitions ``definition`` joins, one per source column, each to be translated alone.
    definitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Overloaded:
    manager: str
    open_deals: float
    limit: float | None


@dataclass(frozen=True)
class Overview:
    today: dt.date
    week_start: dt.date
    tiles: list[Tile]
    overloaded: list[Overloaded] | None
    changes: list[tuple[Tile, str, Span]]


def day_period(day: dt.date) -> Period:
    return Period.between(day.isoformat(), day.isoformat())


def week_to_date(day: dt.date) -> Period:
    monday = day - dt.timedelta(days=day.weekday())
    return Period.between(monday.isoformat(), day.isoformat())


def build(run: RunReport, base: Filters, today: dt.date) -> Overview:
    """Every tile for ``today`` (the data's local date) under the viewer's ``base`` filters."""
    available = {spec.name for spec in registry.REPORTS}
    tiles = [_tile(run, base, metric, today, available) for metric in METRICS]
    changes = [(tile, name, span) for tile in tiles for name, span in (("today", tile.today),
               ("this week", tile.week)) if span.versus_usual in ("above", "below")]
    return Overview(today, today - dt.timedelta(days=today.weekday()), tiles,
                    _overloaded(run, base, today, available), changes)


def _tile(run: RunReport, base: Filters, metric: Metric, today: dt.date, available: set[str]) -> Tile:
    failures = []
    for source in metric.sources:
        if source.report not in available:
            continue
        try:
            first = _run(run, source, base, day_period(today))
            if first is None:
                continue
            definitions = tuple(first.definitions.get(c, "") for c in source.columns)
            today_span = _span(run, source, metric, base, today, day_period)
            week_span = _span(run, source, metric, base, today, week_to_date)
        except Exception as exc:  # one broken report must not take the overview down
            log.warning("overview: %s failed: %s", source.report, exc)
            failures.append(f"the {source.report} report failed: {str(exc).splitlines()[0][:200]}")
            continue
        return Tile(metric, " + ".join(definitions), today_span, week_span, definitions=definitions)
    needs = " or ".join(sorted({s.report for s in metric.sources}))
    reason = "; ".join(failures) or f"needs the {needs} report"
    return Tile(metric, "", Span(None), Span(None), missing=reason)


def _span(run: RunReport, source: Source, metric: Metric, base: Filters, today: dt.date,
          period_of: Callable[[dt.date], Period]) -> Span:
    value = _value(run, source, base, period_of(today))
    history = [_value(run, source, base, period_of(today - dt.timedelta(weeks=k)))
               for k in range(1, USUAL_WEEKS + 1)]
    known = [v for v in history if v is not None]
    period = period_of(today)
    href = None
    if metric.drill is not None:
        options = dataclasses.replace(DealListOptions(), **metric.drill)
        href = "/deals?" + drill.query(dataclasses.replace(base, period=period, by=None, options=()),
                                       options)
    return Span(value, min(known) if known else None, max(known) if known else None,
                _plan(run, metric, base, period), href)


def _run(run: RunReport, source: Source, base: Filters, period: Period) -> ReportResult | None:
    try:
        result = run(source.report, dataclasses.replace(base, period=period, by=None))
    except FilterError:
        return None
    names = set(result.table.column_names)
    return result if all(c in names for c in source.columns) else None


def _value(run: RunReport, source: Source, base: Filters, period: Period) -> float | None:
    result = _run(run, source, base, period)
    if result is None:
        return None
    rows = _summable_rows(result, source)
    return float(sum(row[c] or 0 for row in rows for c in source.columns))


def _summable_rows(result: ReportResult, source: Source) -> list[dict[str, Any]]:
    """Rows that add up to the total once: the total row, else the managers, else every row."""
    rows = [r for r in result.rows if all(r.get(k) == v for k, v in source.where.items())]
    if "row_kind" not in result.table.column_names:
        return rows
    for kind in ("total", "company", "manager"):
        chosen = [r for r in rows if r["row_kind"] == kind]
        if chosen:
            return chosen
    return rows


def _plan(run: RunReport, metric: Metric, base: Filters, period: Period) -> float | None:
    """The plan for a span: the month's plan times the span's share of the month's working days."""
    if metric.plan_metric is None or "goals" not in {s.name for s in registry.REPORTS}:
        return None
    month = month_of(period.start)
    try:
        result = run("goals", dataclasses.replace(base, period=month, by=None))
    except Exception as exc:  # no plan shown rather than no overview
        log.warning("overview: goals failed: %s", exc)
        return None
    names = set(result.table.column_names)
    if not {"metric", "plan"} <= names:
        return None
    # Team goals plus managers' own goals; a member's goal is part of its team's, not added again.
    top = [r for r in result.rows if r["metric"] == metric.plan_metric
           and (r.get("row_kind") or r.get("scope")) in ("team", "manager")]
    if not top:
        return None
    month_plan = float(sum(r["plan"] or 0 for r in top))
    share = _working_days(period.start, period.end) / max(_working_days(month.start, month.end), 1)
    return month_plan * share


def _working_days(start: dt.date, end: dt.date) -> int:
    """Mon–Fri days in ``[start, end)``."""
    return sum(1 for i in range((end - start).days) if (start + dt.timedelta(days=i)).weekday() < 5)


def _overloaded(run: RunReport, base: Filters, today: dt.date, available: set[str]) -> list[Overloaded] | None:
    """Managers over the overload limit now (from the summary report); None without it."""
    if "summary" not in available:
        return None
    try:
        result = run("summary", dataclasses.replace(base, period=day_period(today), by=None))
    except Exception as exc:  # shown as "needs the summary report", never a failed page
        log.warning("overview: summary failed: %s", exc)
        return None
    names = set(result.table.column_names)
    if not {"overloaded", "open_deals", "manager"} <= names:
        return None
    limit = result.filters.get("options", {}).get("limit")
    return [Overloaded(str(r["manager"]), float(r["open_deals"] or 0), limit)
            for r in result.rows if r["overloaded"] and r.get("row_kind", "manager") == "manager"]
