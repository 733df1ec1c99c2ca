"""Rows of a spend file to typed spend rows, every cell checked; a bad cell names row and column.

Numbers as the platforms write them: ``1,234.56`` (or ``1 234,56`` with decimal commas), XLSX
numbers as they are. The spend cell blank or ``--`` (Google's "no data") is 0: nothing was
spent that day. Clicks and impressions blank or ``--`` are NULL: not reported, which is not 0.
Spend is kept to the cent (half-up, as ``values.amount`` does); negative spend is an error.
Native exports' ``Total…`` rows (Google's ``Total: Account``, ``Total: Campaigns``) are
skipped and counted, so a summary row never doubles the spend.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from salesscope.connectors.files import values
from salesscope.connectors.files.errors import BadValue, FileImportError
from salesscope.connectors.files.reading import SourceRow, SourceTable
from salesscope.connectors.files.spend_formats import Layout
from salesscope.connectors.files.values import Cell

# Day forms native exports use besides YYYY-MM-DD and DD.MM.YYYY (values.BUILT_IN_DATE_FORMS)
NATIVE_DATE_FORMS = ("%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y", "%Y/%m/%d")
_NO_DATA = ("--", "-", "—")
_UTC = ZoneInfo("UTC")
T = TypeVar("T")
_TOTAL = re.compile(r"total\b", re.IGNORECASE)


@dataclass(frozen=True)
class SpendRow:
    """One checked row, before conversion to the account currency."""

    number: int
    date: dt.date
    platform: str
    source: str
    medium: str | None
    campaign: str | None
    ad: str | None
    currency: str
    spend_original: Decimal
    clicks: int | None
    impressions: int | None


@dataclass(frozen=True)
class RowDefaults:
    """What rows take when the file does not say: from options, the mapping and the account."""

    platform: str
    date: dt.date | None
    source: str | None
    medium: str | None
    currency: str
    decimal_comma: bool
    date_formats: tuple[str, ...]


def parse_rows(table: SourceTable, layout: Layout, defaults: RowDefaults) -> tuple[list[SpendRow], int]:
    """Every row checked, and how many summary (``Total…``) rows were skipped."""
    rows: list[SpendRow] = []
    totals = 0
    for row in table.rows:
        if layout.format.native and _is_total(row, layout):
            totals += 1
            continue
        rows.append(_row(table, layout, defaults, row))
    return rows, totals


def _is_total(row: SourceRow, layout: Layout) -> bool:
    """A summary row: it starts with "Total" and has no day (a campaign "Total sale" on a day is data).

    Google writes ``--`` in the dimension columns of its total rows, so ``--`` counts as no day.
    """
    first = next((values.text(c) for c in row.cells if not values.is_blank(c)), None)
    if first is None or not _TOTAL.match(first):
        return False
    place = layout.columns.get("date")
    day = row.cells[place[0]] if place else None
    return _no_data(day) or (isinstance(day, str) and _TOTAL.match(day.strip()) is not None)


def _row(table: SourceTable, layout: Layout, defaults: RowDefaults, row: SourceRow) -> SpendRow:
    def cell(field: str) -> Cell:
        place = layout.columns.get(field)
        return row.cells[place[0]] if place else None

    def parsed(field: str, parse: Callable[[Cell], T]) -> T:
        try:
            return parse(cell(field))
        except BadValue as exc:
            raise FileImportError(table.path, row.number, layout.columns[field][1], cell(field), exc.reason,
                                  exc.choices) from None

    day = parsed("date", lambda c: _day(c, defaults)) if "date" in layout.columns else defaults.date
    if day is None:
        raise FileImportError(table.path, row.number, layout.columns["date"][1], "", "blank date")
    _check_one_day(table, layout, defaults, row, day, cell("date_end"))
    source = values.text(cell("source")) or defaults.source
    if source is None:
        raise FileImportError(table.path, row.number, layout.columns["source"][1], "", "blank source",
                              hint="give --source or [options] source")
    currency = layout.header_currency or parsed(
        "currency", lambda c: defaults.currency if values.is_blank(c) else values.currency(c))
    return SpendRow(
        row.number, day, defaults.platform, source,
        values.text(cell("medium")) or defaults.medium, values.text(cell("campaign")),
        values.text(cell("ad")) or values.text(cell("ad_group")), currency,
        parsed("spend", lambda c: _spend(c, defaults.decimal_comma)),
        parsed("clicks", lambda c: _count(c, defaults.decimal_comma)),
        parsed("impressions", lambda c: _count(c, defaults.decimal_comma)),
    )


def _day(cell: Cell, defaults: RowDefaults) -> dt.date | None:
    if values.is_blank(cell):
        return None
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    return values.moment(cell, (*defaults.date_formats, *NATIVE_DATE_FORMS), _UTC).date()


def _check_one_day(table: SourceTable, layout: Layout, defaults: RowDefaults, row: SourceRow,
                   day: dt.date, end_cell: Cell) -> None:
    """A Meta row from "Reporting starts" to another "Reporting ends" is not one day's spend."""
    if "date_end" not in layout.columns or values.is_blank(end_cell):
        return
    column = layout.columns["date_end"][1]
    try:
        end = _day(end_cell, defaults)
    except BadValue as exc:
        raise FileImportError(table.path, row.number, column, end_cell, exc.reason, exc.choices) from None
    if end != day and layout.columns["date"][1].casefold() == "reporting starts":
        raise FileImportError(table.path, row.number, column, values.text(end_cell),
                              f"row covers {day}..{end}, not one day: reporting ends",
                              hint="export with the breakdown by Day")


def _no_data(cell: Cell) -> bool:
    return values.is_blank(cell) or (isinstance(cell, str) and cell.strip() in _NO_DATA)


def _spend(cell: Cell, decimal_comma: bool) -> Decimal:
    if _no_data(cell):
        return Decimal("0.00")
    try:
        spend = values.amount(cell, decimal_comma)
    except BadValue as exc:
        raise BadValue(exc.reason, exc.choices[:1] + ([] if decimal_comma else ["or 1 234,50 with --decimal-comma"])) \
            from None
    if spend < 0:
        raise BadValue("negative spend", ["0 or more"])
    return spend


def _count(cell: Cell, decimal_comma: bool) -> int | None:
    if _no_data(cell):
        return None
    try:
        number = values.amount(cell, decimal_comma)
    except BadValue:
        raise BadValue("not a whole number", ["a count such as 12,345"]) from None
    if number < 0 or number != number.to_integral_value():
        raise BadValue("not a whole number", ["a count such as 12,345"])
    return int(number)
