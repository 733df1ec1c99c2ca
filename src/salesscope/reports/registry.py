"""The registry of reports: an explicit tuple, so adding a report is one line here."""

from __future__ import annotations

from salesscope.reports import (
    calls,
    channels,
    employees,
    events,
    funnel,
    goals,
    metrics_report,
    potential,
    summary,
    worktime,
)
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.result import ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.warehouse.store import Warehouse

# One entry per report, in the order `salesscope reports` lists them.
REPORTS: tuple[ReportSpec, ...] = (
    funnel.SPEC,
    employees.SPEC,
    events.SPEC,
    worktime.SPEC,
    calls.SPEC,
    summary.SPEC,
    goals.SPEC,
    channels.SPEC,
    potential.SPEC,
    metrics_report.SPEC,
)


def get(name: str) -> ReportSpec:
    """A report by name; an unknown name lists the known ones."""
    for spec in REPORTS:
        if spec.name == name.strip().lower():
            return spec
    raise FilterError("report", name, [s.name for s in REPORTS])


def run(wh: Warehouse, name: str, filters: Filters) -> ReportResult:
    """Run one report by name."""
    return get(name).run(wh, filters)
