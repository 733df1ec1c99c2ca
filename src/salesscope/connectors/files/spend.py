"""Ad spend import: a platform's export or a generic file into ``spend``, in the account currency.

The flow: ``spend_reading`` finds the header and tells the export (``spend_formats``), or a
mapping (``spend_mapping``) names the columns; ``spend_rows`` checks every cell; here each row is
converted with ``rates.RateBook`` and the file replaces what the warehouse held for the same
platform, source and days, in one transaction.

Replace, never add: for each (platform, source) in the file, the stored rows of that platform and
source dated from the file's first to its last day of that pair are deleted and the file's rows
inserted. Re-importing a file leaves the table as it was; an export overlapping an earlier one
counts the overlapping days once, as the newer file says. (A file of one campaign therefore
replaces the other campaigns of that platform and source on its days: export all campaigns.)

Conversion: ``spend = spend_original × rate``, rounded to the cent half-up (0.125 → 0.13), the
rule ``values.amount`` uses for every imported amount. Nothing is written when any row fails a
check or lacks a rate.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from salesscope.connectors.files.errors import FileImportError, ImportInputError
from salesscope.connectors.files.ids import stable_id
from salesscope.connectors.files.rates import MissingRateError, RateBook
from salesscope.connectors.files.reading import ReadOptions, SourceTable, read_table
from salesscope.connectors.files.spend_formats import GENERIC, Layout, SpendFormat, layout
from salesscope.connectors.files.spend_mapping import SpendMapping, SpendOptions, load_spend_mapping
from salesscope.connectors.files.spend_reading import read_spend_table
from salesscope.connectors.files.spend_rows import RowDefaults, SpendRow, parse_rows
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.engines import transaction
from salesscope.warehouse.schema import quote_ident
from salesscope.warehouse.store import Warehouse

_CENT = Decimal("0.01")
Channel = tuple[str, str]  # (platform, source)


@dataclass
class ChannelTotal:
    """One platform and source of the file: its days, rows and spend in the account currency."""

    first: dt.date
    last: dt.date
    rows: int = 0
    spend: Decimal = Decimal("0.00")
    replaced: int = 0  # stored rows of these days the file replaces


@dataclass
class SpendSummary:
    """What a spend import did (or, with ``dry_run``, would do)."""

    file: Path
    format: str
    dialect: str
    account_currency: str
    rows: int = 0
    blank_rows: int = 0
    total_rows: int = 0  # the export's own "Total…" rows, skipped
    channels: dict[Channel, ChannelTotal] = field(default_factory=dict)
    converted: dict[str, int] = field(default_factory=dict)  # currency -> rows converted
    dry_run: bool = False

    @property
    def first(self) -> dt.date:
        return min(c.first for c in self.channels.values())

    @property
    def last(self) -> dt.date:
        return max(c.last for c in self.channels.values())

    @property
    def spend(self) -> Decimal:
        return sum((c.spend for c in self.channels.values()), Decimal("0.00"))


def import_spend(wh: Warehouse, file: Path, *, mapping_file: Path | None = None, date: dt.date | None = None,
                 source: str | None = None, medium: str | None = None, decimal_comma: bool = False,
                 dry_run: bool = False) -> SpendSummary:
    """Import one spend file; every check and rate lookup happens before the one write."""
    account = wh.account()
    if account is None:
        raise ImportInputError(f"{file}: the warehouse has no account yet, so no currency to convert "
                               "spend into; import deals or connect a CRM first")
    mapping = load_spend_mapping(mapping_file) if mapping_file is not None else None
    table, fmt, where = _read(file, mapping)
    options = mapping.options if mapping else SpendOptions(decimal_comma=decimal_comma)
    defaults = RowDefaults(
        fmt.platform if fmt.native else options.platform, date, source or options.source or fmt.source,
        medium or options.medium or fmt.medium, options.currency or account.currency,
        decimal_comma or options.decimal_comma, options.date_formats,
    )
    _check_header(table, where, defaults)
    rows, totals = parse_rows(table, where, defaults)
    if not rows:
        raise ImportInputError(f"{file}: no spend rows below the header")
    summary = SpendSummary(file, fmt.name, table.dialect, account.currency, len(rows), table.blank_rows, totals,
                           dry_run=dry_run)
    records = _convert(wh, rows, file, account.currency, summary)
    _count_replaced(wh, summary)
    if not dry_run:
        _write(wh, summary.channels, records)
    return summary


def _read(file: Path, mapping: SpendMapping | None) -> tuple[SourceTable, SpendFormat, Layout]:
    if mapping is None:
        table, fmt = read_spend_table(file, ReadOptions())
        return table, fmt, layout(fmt, table.header)
    table = read_table(file, mapping.read)
    renamed = {name: (table.column(column), column) for name, column in mapping.columns.items()}
    return table, GENERIC, layout(GENERIC, table.header, renamed)


def _check_header(table: SourceTable, where: Layout, defaults: RowDefaults) -> None:
    """Columns no row can do without: the spend, the day (or --date), the channel (or --source)."""
    header = [h for h in table.header if h]
    if "spend" not in where.columns:
        raise FileImportError(table.path, 1, "spend", "spend", "missing column", header)
    if "date" in where.columns and defaults.date is not None:
        raise FileImportError(table.path, 1, where.columns["date"][1], str(defaults.date),
                              "the file has a date column; --date is only for files without one:")
    if "date" not in where.columns and defaults.date is None:
        names = ", ".join(where.format.columns["date"])
        raise FileImportError(table.path, 1, "date", "", f"no date column ({names}) in the header",
                              hint="give the day the file covers with --date YYYY-MM-DD")
    if "source" not in where.columns and defaults.source is None:
        raise FileImportError(table.path, 1, "source", "source", "missing column", header,
                              hint="or give --source, or [options] source in the mapping")


def _convert(wh: Warehouse, rows: list[SpendRow], file: Path, account_currency: str,
             summary: SpendSummary) -> list[dict[str, Any]]:
    """Spend rows in the account currency, with stable ids; a missing rate fails the import."""
    foreign = {r.currency for r in rows if r.currency != account_currency}
    book = RateBook.load(wh, foreign, min(r.date for r in rows), max(r.date for r in rows)) if foreign \
        else RateBook([])
    seen: Counter[tuple[str, ...]] = Counter()
    records: list[dict[str, Any]] = []
    for row in rows:
        rate = Decimal(1) if row.currency == account_currency else book.rate(row.currency, row.date)
        if rate is None:
            raise MissingRateError(row.currency, row.date, file, row.number)
        if row.currency != account_currency:
            summary.converted[row.currency] = summary.converted.get(row.currency, 0) + 1
        spend = (row.spend_original * rate).quantize(_CENT, rounding=ROUND_HALF_UP)
        key = (row.platform, row.source, row.date.isoformat(), row.medium or "", row.campaign or "",
               row.ad or "", row.currency)
        seen[key] += 1
        records.append({
            "id": stable_id("spend", *key, str(seen[key])), "date": row.date, "platform": row.platform,
            "source": row.source, "medium": row.medium, "campaign": row.campaign, "ad": row.ad,
            "spend": spend, "currency": row.currency, "spend_original": row.spend_original,
            "clicks": row.clicks, "impressions": row.impressions, "file": file.name,
        })
        channel = summary.channels.setdefault((row.platform, row.source), ChannelTotal(row.date, row.date))
        channel.first, channel.last = min(channel.first, row.date), max(channel.last, row.date)
        channel.rows += 1
        channel.spend += spend
    return records


def _count_replaced(wh: Warehouse, summary: SpendSummary) -> None:
    t = wh.table("spend")
    for (platform, source), channel in summary.channels.items():
        stored = t.filter((t.platform == platform) & (t.source == source)
                          & t.date.between(channel.first, channel.last))
        channel.replaced = int(stored.count().to_pyarrow().as_py())


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _write(wh: Warehouse, channels: dict[Channel, ChannelTotal], records: list[dict[str, Any]]) -> None:
    """Delete each channel's stored rows on the file's days, insert the file's rows: one transaction."""
    engine = wh.engine
    day = quote_ident("date")
    wh.invalidate()
    with transaction(engine):
        for (platform, source), channel in sorted(channels.items()):
            engine.execute(f"DELETE FROM spend WHERE platform = {_text(platform)} AND source = {_text(source)} "
                           f"AND {day} BETWEEN DATE '{channel.first}' AND DATE '{channel.last}'")
        engine.append("spend", rows_to_arrow("spend", records))
    wh.invalidate()
