"""Currency rates: importing a rate table, and finding the rate a day's spend converts at.

A rate is how many units of the account currency one unit of a currency buys on a day
(``currency_rates``). Spend on a day with no rate of its own takes the latest earlier rate of at
most ``MAX_RATE_AGE_DAYS`` days before (weekends and holidays publish none); older than that, or
none at all, is an error: a stale rate would silently misstate the spend.

A rates file (CSV or XLSX, header row 1) has the columns ``date``, ``currency``, ``rate``; rows
are upserted by (currency, date), so re-importing a corrected table corrects it. Rates have at
most six decimal places (``DECIMAL(18,6)``): more is an error, never a silent rounding.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis

from salesscope.connectors.files import values
from salesscope.connectors.files.errors import BadValue, FileImportError, ImportInputError
from salesscope.connectors.files.reading import ReadOptions, SourceTable, read_table
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

MAX_RATE_AGE_DAYS = 7
RATE_COLUMNS = ("date", "currency", "rate")
_RATE_LIMIT = Decimal(10) ** 12  # DECIMAL(18,6)
_UTC = ZoneInfo("UTC")


class MissingRateError(ImportInputError):
    """No rate converts a row's currency on its day: names the currency, day, file and row."""

    def __init__(self, currency: str, day: dt.date, file: Path | str, row: int) -> None:
        self.currency, self.day, self.file, self.row = currency, day, str(file), row
        super().__init__(f"no {currency} rate for {day} (file {Path(file).name}, row {row}); import one "
                         f"with `salesscope rates import` (a rate up to {MAX_RATE_AGE_DAYS} days older "
                         "also serves)")


@dataclass
class RatesSummary:
    """What a rates import did."""

    file: Path
    dialect: str
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    ranges: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)  # currency -> first, last


def import_rates(wh: Warehouse, file: Path, options: ReadOptions = ReadOptions()) -> RatesSummary:
    """Check every row, then upsert them all in one transaction; a bad row writes nothing."""
    table = read_table(file, options)
    rows = _parse(table, _account_currency(wh))
    existing = {(r["currency"], r["date"]): r["rate"] for r in _existing(wh, {r["currency"] for r in rows})}
    summary = RatesSummary(file, table.dialect, len(rows))
    for row in rows:
        before = existing.get((row["currency"], row["date"]))
        if before is None:
            summary.new += 1
        elif before == row["rate"]:
            summary.unchanged += 1
        else:
            summary.changed += 1
        first, last = summary.ranges.get(row["currency"], (row["date"], row["date"]))
        summary.ranges[row["currency"]] = (min(first, row["date"]), max(last, row["date"]))
    if rows:
        wh.upsert({"currency_rates": rows_to_arrow("currency_rates", rows)})
        wh.invalidate()
    return summary


def _account_currency(wh: Warehouse) -> str | None:
    account = wh.account()
    return account.currency if account else None


def _parse(table: SourceTable, account_currency: str | None) -> list[dict[str, Any]]:
    index = {name: table.column(name) for name in RATE_COLUMNS}
    seen: dict[tuple[str, dt.date], int] = {}
    rows: list[dict[str, Any]] = []
    for row in table.rows:
        def cell(name: str, cells: tuple[values.Cell, ...] = row.cells) -> values.Cell:
            return cells[index[name]]

        def failed(name: str, reason: str, choices: list[str], number: int = row.number) -> FileImportError:
            return FileImportError(table.path, number, table.header[index[name]], cell(name), reason, choices)

        try:
            day = _rate_day(cell("date"))
        except BadValue as exc:
            raise failed("date", exc.reason, exc.choices) from None
        try:
            currency = values.currency(cell("currency"))
        except BadValue as exc:
            raise failed("currency", exc.reason, exc.choices) from None
        if currency == account_currency:
            raise failed("currency", "the account's own currency needs no rate:", [])
        try:
            rate = _rate(cell("rate"))
        except BadValue as exc:
            raise failed("rate", exc.reason, exc.choices) from None
        if (currency, day) in seen:
            raise failed("date", f"second {currency} rate for the same day (first on row "
                         f"{seen[currency, day]}):", [])
        seen[currency, day] = row.number
        rows.append({"currency": currency, "date": day, "rate": rate})
    return rows


def _rate_day(cell: values.Cell) -> dt.date:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if values.is_blank(cell):
        raise BadValue("blank date", ["YYYY-MM-DD"])
    return values.moment(cell, (), _UTC).date()


def _rate(cell: values.Cell) -> Decimal:
    expected = ["a positive number with up to 6 decimals, such as 44.1234"]
    if isinstance(cell, bool) or values.is_blank(cell):
        raise BadValue("not a rate", expected)
    if isinstance(cell, int | float | Decimal):
        rate = Decimal(str(cell))
    else:
        raw = (values.text(cell) or "").replace(" ", "").replace("\u00a0", "")
        raw = raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw
        try:
            rate = Decimal(raw)
        except ArithmeticError:
            raise BadValue("not a rate", expected) from None
    if not rate.is_finite() or rate <= 0 or rate >= _RATE_LIMIT:
        raise BadValue("not a rate", expected)
    if rate != rate.quantize(Decimal("0.000001")):
        raise BadValue("more than 6 decimal places in rate", expected)
    return rate.quantize(Decimal("0.000001"))


def _existing(wh: Warehouse, currencies: Iterable[str], start: dt.date | None = None,
              end: dt.date | None = None) -> list[dict[str, Any]]:
    wanted = sorted(set(currencies))
    if not wanted:
        return []
    t = wh.table("currency_rates")
    t = t.filter(t.currency.isin(wanted))
    if start is not None:
        t = t.filter(t.date >= ibis.literal(start))
    if end is not None:
        t = t.filter(t.date <= ibis.literal(end))
    rows: list[dict[str, Any]] = t.to_pyarrow().to_pylist()
    return rows


def list_rates(wh: Warehouse, currency: str | None = None) -> list[dict[str, Any]]:
    """The stored rates, by currency then day; of one currency when given."""
    t = wh.table("currency_rates")
    if currency is not None:
        t = t.filter(t.currency == currency.upper())
    rows: list[dict[str, Any]] = t.order_by(["currency", "date"]).to_pyarrow().to_pylist()
    return rows


class RateBook:
    """The rates that may convert spend between two days, looked up by currency and day."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        by_currency: dict[str, list[tuple[dt.date, Decimal]]] = {}
        for row in rows:
            by_currency.setdefault(str(row["currency"]), []).append((row["date"], Decimal(row["rate"])))
        self._days = {c: [d for d, _ in sorted(r)] for c, r in by_currency.items()}
        self._rates = {c: [v for _, v in sorted(r)] for c, r in by_currency.items()}

    @classmethod
    def load(cls, wh: Warehouse, currencies: Iterable[str], first: dt.date, last: dt.date) -> RateBook:
        start = first - dt.timedelta(days=MAX_RATE_AGE_DAYS)
        return cls(_existing(wh, currencies, start, last))

    def rate(self, currency: str, day: dt.date) -> Decimal | None:
        """The rate of ``day``, else of the latest day up to ``MAX_RATE_AGE_DAYS`` before; else None."""
        days = self._days.get(currency, [])
        at = bisect.bisect_right(days, day) - 1
        if at < 0 or (day - days[at]).days > MAX_RATE_AGE_DAYS:
            return None
        return self._rates[currency][at]
