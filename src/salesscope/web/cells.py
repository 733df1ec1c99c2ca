"""Cells as a person reads them in a page: Babel formats numbers, money, percents and dates.

Formatting only; the numbers are the report's. Money shows whole currency units (the exact value
is in the ``.json``/``.csv`` twin and in the cell's tooltip); times are shown in the account's
timezone. Units (``s``, ``days``, ``working hours``) read in the page's language through the i18n
catalogs; currency codes stay ISO codes. The metrics report's "Shown as" text is the report's, in
English: a page shows the metric's value formatted here instead, from its value and unit.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from salesscope.reports.result import ColumnSpec
from salesscope.web.i18n import Translator

_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
NUMERIC = ("integer", "number", "money", "fraction")
SHORT_UNITS = {"working hours": "h", "hours": "h", "days": "d", "s": "s"}
"""Units written after a number in a metric's value (``2,5 год``), by the unit the report names."""
COUNT_UNITS = ("deals",)
"""Units of whole counts: a metric's value shows the number alone."""


class CellFormatter:
    """Formats values for one locale and account timezone."""

    def __init__(self, locale: str, timezone: str = "UTC", yes: str = "yes", no: str = "no") -> None:
        # Babel given a Locale object instead of its name skips parsing it on every call: a page of
        # 500 rows x 11 cells formats 2-3x faster.
        self.locale = Locale.parse(locale)
        self.t = Translator(locale)
        self.zone = ZoneInfo(timezone)
        self.yes, self.no = yes, no
        standard = self.locale.currency_formats["standard"].pattern
        self._whole_money = standard.replace(".00", "").split(";")[0]

    def cell(self, value: Any, column: ColumnSpec) -> str:
        if value is None:
            return "—"
        kind = column.type
        if column.name == "id" or column.name.endswith("_id"):
            return str(value)  # an identifier, not a quantity: no digit grouping
        if kind == "integer":
            return format_decimal(value, locale=self.locale)
        if kind == "number":
            return format_decimal(value, format="#,##0.##", locale=self.locale)
        if kind == "money":
            return self.money(value, column.unit)
        if kind == "fraction":
            return self.percent(value)
        if kind == "boolean":
            return self.yes if value else self.no
        if kind == "datetime" and isinstance(value, dt.datetime):
            return format_datetime(value, "short", locale=self.locale)
        return str(value)

    def money(self, value: float, unit: str | None) -> str:
        if unit and _CURRENCY_CODE.match(unit):
            return format_currency(round(value), unit, format=self._whole_money, currency_digits=False,
                                   locale=self.locale)
        text = format_decimal(round(value), locale=self.locale)
        return f"{text} {unit}" if unit else text

    def unit(self, unit: str | None) -> str | None:
        """A unit in the page's language (a currency code as it is)."""
        if unit is None or _CURRENCY_CODE.match(unit):
            return unit
        return self.t(unit)

    def metric_value(self, value: float | None, unit: str | None) -> str:
        """A catalogue metric's value with its unit, as the metrics report's "Shown as" says it:
        a rate without a unit as a percent, money, a count, or a number of hours or days."""
        if value is None:
            return "—"
        if unit is None:
            return self.percent(value)
        if _CURRENCY_CODE.match(unit):
            return self.money(value, unit)
        if unit in COUNT_UNITS:
            return format_decimal(round(value), locale=self.locale)
        number = format_decimal(value, format="#,##0.0", locale=self.locale)
        return f"{number} {self.t(SHORT_UNITS.get(unit, unit))}"

    def percent(self, value: float) -> str:
        return format_percent(value, format="#,##0.0%", locale=self.locale)

    def count(self, value: float) -> str:
        return format_decimal(value, format="#,##0.#", locale=self.locale)

    def stamp(self, utc: dt.datetime | None, never: str = "—") -> str:
        """A naive UTC instant as local date and time in the account's timezone."""
        if utc is None:
            return never
        local = utc.replace(tzinfo=dt.UTC).astimezone(self.zone)
        return format_datetime(local, "d MMM y, HH:mm", locale=self.locale)

    def day(self, day: dt.date) -> str:
        return format_date(day, "d MMM y", locale=self.locale)

    def weekday(self, day: dt.date) -> str:
        return format_date(day, "EEEE, d MMMM", locale=self.locale)


def title_of(value: Any, column: ColumnSpec) -> str:
    """The exact value for a tooltip: what the rounded cell stands for."""
    if value is None:
        return ""
    if column.type == "money":
        return f"{value:,.2f} {column.unit or ''}".strip()
    if column.type == "fraction":
        return f"{value * 100:.2f}%"
    return str(value)
