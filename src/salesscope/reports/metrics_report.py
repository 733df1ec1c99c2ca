"""``salesscope report metrics``: every metric of the catalogue with its value for the filters.

One row per metric (per channel for leads, per stage for time in stage), each with its label,
unit, formatted value and definition from ``metrics.CATALOGUE``, and the count it was computed
over, so a reader sees what a number means and how much data stands behind it.
"""

from __future__ import annotations

from typing import Any

from salesscope.reports import metrics_queries as q
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.metrics import CATALOGUE, CURRENCY, Metric
from salesscope.reports.metrics_deals import Value, closed_values, cohort_values, repeat_buyers
from salesscope.reports.metrics_timing import (
    first_contact_values,
    stage_time_values,
    stored_hours_current,
)
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.warehouse.store import Warehouse

NAME = "metrics"
TITLE = "Sales metrics"
SUMMARY = ("Every metric of the catalogue (conversions, average check, time to first contact in "
           "working hours, deal cycle, time in stage, win rate, repeat buyers) for the filters, "
           "each with its definition.")

_COLUMNS = (
    ColumnSpec("metric", "Metric", "string", "The metric's name in the catalogue."),
    ColumnSpec("label", "Label", "string", "What the metric is called."),
    ColumnSpec("segment", "Segment", "string", "The channel (leads per channel) or the stage "
               "(time in stage) the row is for; empty otherwise."),
    ColumnSpec("value", "Value", "number", "The metric's value, in its unit: a fraction 0–1 for "
               "rates, money in the account currency, hours or days for times. Empty when there "
               "is nothing to compute it from."),
    ColumnSpec("display", "Shown as", "string", "The value as a person reads it, with its unit."),
    ColumnSpec("unit", "Unit", "string", "The unit of Value."),
    ColumnSpec("base", "Base", "integer", "How many items the value is computed over: cohort "
               "deals, deals reaching the proposal stage, deals closed or won, deals contacted, "
               "stays ended or buyers, as the definition says."),
    ColumnSpec("definition", "Definition", "string", "The metric's definition (the catalogue's)."),
)


def metrics(wh: Warehouse, filters: Filters) -> ReportResult:
    """Every catalogue metric computed for the filters (grouped by nothing)."""
    scope = resolve(wh, filters)
    parts = q.fetch(wh, scope, q.builds(wh, scope, stored_hours_current(wh, scope)))
    values: dict[str, list[Value]] = {
        **cohort_values(wh, parts), **closed_values(parts),
        **first_contact_values(wh, scope, parts), **stage_time_values(wh, scope, parts),
        **repeat_buyers(parts),
    }
    rows = [_row(m, v, scope.currency) for m in CATALOGUE for v in values[m.name]]
    return ReportResult.from_rows(NAME, TITLE, _COLUMNS, rows, filters.describe(), wh.data_as_of())


def _row(m: Metric, v: Value, currency: str) -> dict[str, Any]:
    unit = currency if m.unit == CURRENCY else m.unit
    return {"metric": m.name, "label": m.label, "segment": v.segment,
            "value": None if v.value is None else round(v.value, 6),
            "display": display(m, v.value, currency), "unit": unit, "base": v.base,
            "definition": m.definition}


def display(m: Metric, value: float | None, currency: str) -> str:
    """A metric's value as text with its unit: ``48.0%``, ``1 000.00 UAH``, ``3.5 h``."""
    if value is None:
        return "—"
    if m.format == "fraction":
        return f"{value * 100:.1f}%"
    if m.format == "money":
        return f"{value:,.2f} {currency}".replace(",", " ")
    if m.format == "hours":
        return f"{value:.1f} h"
    if m.format == "days":
        return f"{value:.1f} d"
    return f"{value:,.0f}".replace(",", " ")


SPEC = ReportSpec(NAME, TITLE, SUMMARY, (), metrics)
