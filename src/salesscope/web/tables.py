"""A ReportResult laid out for a page: headers with units and definitions, cells with links.

Every numeric cell links to the deal list behind it when the row says which deals those are (the
``drill`` column of the funnel, summary and goals rows; ``reports.drill.for_column`` turns it into
the list behind each column). Bookkeeping columns (``drill``, ids, row kinds) stay in the
``.json``/``.csv`` twin and out of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from salesscope.reports import activity_drill, drill
from salesscope.reports.errors import FilterError
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.web.cells import NUMERIC, CellFormatter, title_of
from salesscope.web.i18n import Translator

HIDDEN = {"drill", "row_kind", "stage_kind", "breakdown"}
# Cells that hold text of the code, not data, read in the page's language: the metrics report's
# label and definition of each metric (from ``reports.metrics.CATALOGUE``).
TRANSLATED_CELLS = {("metrics", "label"), ("metrics", "definition"), ("metrics", "unit")}
# The metrics report's "Shown as" is English text; a page formats the row's value and unit instead.
METRIC_DISPLAY = ("metrics", "display")


@dataclass(frozen=True)
class Header:
    name: str
    label: str
    unit: str | None
    definition: str
    numeric: bool


@dataclass(frozen=True)
class Cell:
    text: str
    title: str
    href: str | None
    numeric: bool


@dataclass(frozen=True)
class Row:
    cells: list[Cell]
    kind: str


@dataclass(frozen=True)
class TableView:
    headers: list[Header]
    rows: list[Row]
    total_rows: int


def shown_columns(result: ReportResult) -> list[ColumnSpec]:
    """The columns a person reads: ids are left out where a name column says the same."""
    names = {c.name for c in result.columns}
    return [c for c in result.columns
            if c.name not in HIDDEN and not (c.name.endswith("_id") and c.name[:-3] in names)]


def deal_link(report: str, row: dict[str, Any], column: str) -> str | None:
    """``/deals?…`` for one number of a row, when the row carries its drill query."""
    row_drill = row.get("drill")
    if not row_drill or not drill.lists_deals(report, column):
        return None
    if "?" in str(row_drill):  # an activity report's actions or calls: REPORT?QUERY
        listed = activity_drill.for_column(report, column, str(row_drill))
        return "/reports/" + listed if listed else None
    try:
        return "/deals?" + drill.for_column(report, column, row_drill)
    except FilterError:
        return "/deals?" + str(row_drill)


def table_view(result: ReportResult, t: Translator, fmt: CellFormatter, limit: int = 2000) -> TableView:
    columns = shown_columns(result)
    headers = [
        Header(c.name, t(c.label), fmt.unit(c.unit), t(result.definitions.get(c.name, c.description)),
               c.type in NUMERIC)
        for c in columns
    ]
    rows = []
    for row in result.table.slice(0, limit).to_pylist():
        cells = []
        for c in columns:
            value = row[c.name]
            numeric = c.type in NUMERIC
            counts = numeric and not c.name.endswith(("_order", "_id"))
            href = deal_link(result.report, row, c.name) if counts and value is not None else None
            if c.name == "link" and isinstance(value, str) and value.startswith("http"):
                href = value
            if c is columns[0] and row.get("breakdown"):  # a channel opens its campaigns, a campaign its ads
                href = f"/reports/{result.report}?{row['breakdown']}"
            text = fmt.cell(value, c)
            if (result.report, c.name) in TRANSLATED_CELLS and isinstance(value, str):
                text = t(value)
            if (result.report, c.name) == METRIC_DISPLAY:
                text = fmt.metric_value(row.get("value"), row.get("unit"))
            cells.append(Cell(text, title_of(value, c) if numeric else "", href, numeric))
        rows.append(Row(cells, str(row.get("row_kind") or "")))
    return TableView(headers, rows, result.table.num_rows)
