"""A report result as JSON, CSV, XLSX or a Rich table: the same numbers in every surface.

These functions only format; they never compute a metric. The JSON shape is the public contract:
``{"report", "title", "filters", "generated_at", "data_as_of", "columns", "rows"}``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from salesscope.reports.result import ColumnSpec, ReportResult

FORMATS = ("table", "json", "csv", "xlsx")


def _plain(value: Any, column: ColumnSpec) -> Any:
    """A cell as JSON/CSV carry it: whole numbers of a numeric column without a trailing .0."""
    if isinstance(value, float) and column.type in ("number", "money") and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def to_dict(result: ReportResult) -> dict[str, Any]:
    """The report as the JSON document the CLI, the web twin and the digests share."""
    return {
        "report": result.report,
        "title": result.title,
        "filters": result.filters,
        "generated_at": _stamp(result.generated_at),
        "data_as_of": _stamp(result.data_as_of),
        "columns": [c.describe() for c in result.columns],
        "rows": [
            {c.name: _plain(row[c.name], c) for c in result.columns} for row in result.rows
        ],
        "definitions": result.definitions,
    }


def to_json(result: ReportResult) -> str:
    return json.dumps(to_dict(result), ensure_ascii=False, indent=2) + "\n"


def to_csv(result: ReportResult) -> str:
    """CSV with the same columns as the JSON rows, names as the header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in result.columns])
    for row in result.rows:
        writer.writerow(["" if row[c.name] is None else _plain(row[c.name], c)
                         for c in result.columns])
    return out.getvalue()


def display(value: Any, column: ColumnSpec) -> str:
    """A cell as a person reads it in a terminal table."""
    if value is None:
        return "—"
    if column.type == "fraction":
        return f"{value * 100:.1f}%"
    if column.type == "money":
        return f"{value:,.2f}".replace(",", " ")
    if column.type == "number":
        return f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", " ")
    if column.type == "integer":
        return f"{value:,}".replace(",", " ")
    if column.type == "boolean":
        return "yes" if value else "no"
    return str(value)


def to_rich_table(result: ReportResult) -> Table:
    """A Rich table with units in the headers and numbers right-aligned."""
    table = Table(title=result.title, caption=_caption(result))
    numeric = ("integer", "number", "money", "fraction")
    for col in result.columns:
        header = col.label + (f", {col.unit}" if col.unit else "")
        table.add_column(header, justify="right" if col.type in numeric else "left")
    for row in result.rows:
        table.add_row(*(display(row[c.name], c) for c in result.columns))
    return table


def _caption(result: ReportResult) -> str:
    period = result.filters.get("period")
    shown = period["label"] if period else "all time"
    as_of = result.data_as_of.strftime("%Y-%m-%d %H:%M UTC") if result.data_as_of else "never"
    return f"period: {shown} · data as of {as_of}"


_XLSX_FORMATS = {
    "money": "#,##0.00",
    "fraction": "0.0%",
    "integer": "#,##0",
    "number": "#,##0.##",
    "datetime": "yyyy-mm-dd hh:mm",
}


def write_xlsx(result: ReportResult, path: Path) -> None:
    """A formatted sheet of rows, then a sheet with every column's definition and the filters."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    try:
        sheet = book.add_worksheet(result.report[:31])
        bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
        formats = {k: book.add_format({"num_format": v}) for k, v in _XLSX_FORMATS.items()}
        for j, col in enumerate(result.columns):
            sheet.write(0, j, col.label + (f", {col.unit}" if col.unit else ""), bold)
            sheet.set_column(j, j, max(10, min(40, len(col.label) + 4)), formats.get(col.type))
        for i, row in enumerate(result.rows, start=1):
            for j, col in enumerate(result.columns):
                value = row[col.name]
                if value is not None:
                    sheet.write(i, j, value)
        sheet.freeze_panes(1, 0)
        if result.rows:
            sheet.autofilter(0, 0, len(result.rows), len(result.columns) - 1)

        defs = book.add_worksheet("Definitions")
        defs.set_column(0, 0, 28)
        defs.set_column(1, 1, 100)
        defs.write_row(0, 0, ["Column", "Definition"], bold)
        for i, col in enumerate(result.columns, start=1):
            defs.write_row(i, 0, [col.label, result.definitions.get(col.name, col.description)])
        meta_row = len(result.columns) + 2
        defs.write_row(meta_row, 0, ["Report", result.title], bold)
        defs.write_row(meta_row + 1, 0, ["Filters", json.dumps(result.filters, ensure_ascii=False)])
        defs.write_row(meta_row + 2, 0, ["Data as of", _stamp(result.data_as_of) or "never"])
        defs.write_row(meta_row + 3, 0, ["Generated at", _stamp(result.generated_at) or ""])
    finally:
        book.close()
