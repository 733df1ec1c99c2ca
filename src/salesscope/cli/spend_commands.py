"""``salesscope import spend FILE``: ad spend from Google Ads, Meta, TikTok or a generic file.

The command opens the warehouse for writing (through the running server's refusal, like every
write command), calls ``connectors.files.spend`` and prints what the file held per platform and
source in the account currency. A bad file is one line naming file, row, column and value, with
exit code 2; nothing is written then.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from salesscope.cli.output import DbOption, err, fail, out
from salesscope.cli.warehouse_access import open_for_writing
from salesscope.connectors.files.errors import ImportInputError
from salesscope.connectors.files.spend import SpendSummary, import_spend


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--date: not a day {value!r}; valid: YYYY-MM-DD")


def spend_command(
    file: Annotated[Path, typer.Argument(help="The export: .csv (any encoding and delimiter) or .xlsx.")],
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help=r"Mapping TOML for a generic file: \[columns], \[options].")] = None,
    date: Annotated[str | None, typer.Option(
        "--date", help="The day a file without a date column covers, YYYY-MM-DD.")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="Source of rows the file names none for (ad platforms: google, facebook, "
        "tiktok).")] = None,
    medium: Annotated[str | None, typer.Option(
        "--medium", help="Medium of rows the file names none for (ad platforms: cpc).")] = None,
    decimal_comma: Annotated[bool, typer.Option(
        "--decimal-comma", help="Numbers are written 1 234,50.")] = False,
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file; write nothing.")] = False,
) -> None:
    r"""Import ad spend; re-importing days already imported replaces them.

    Recognised by their header: Google Ads (Day, Campaign, Ad group, Currency
    code, Cost, Impr., Clicks; title lines and Total rows skipped), Meta Ads
    Manager (Day or Reporting starts, Campaign name, Ad set name, Ad name,
    Amount spent (USD), Impressions, Link clicks), TikTok Ads (Date, Campaign
    name, Ad group name, Ad name, Cost, Currency, Impressions, Clicks) and a
    generic file (date, source, medium, campaign, ad, spend, currency,
    clicks, impressions).

    For each platform and source in the file, the stored spend on the file's
    days is replaced by the file's. Spend in another currency than the
    account's is converted with the rate of its day (or up to 7 days before;
    `salesscope rates import`).

    \[columns] spend = "Spent", campaign = "Campaign ID", ...
    \[options] platform, source, medium, currency, decimal_comma,
    date_formats, encoding, delimiter, sheet.
    """
    day = _day(date)
    try:
        with open_for_writing(db) as wh, err.status(f"Importing spend from {file.name}…"):
            summary = import_spend(wh, file, mapping_file=mapping, date=day, source=source, medium=medium,
                                   decimal_comma=decimal_comma, dry_run=dry_run)
    except ImportInputError as exc:
        fail(str(exc))
    _print(summary)


def summary_table(summary: SpendSummary) -> Table:
    """Per platform and source: days, rows, rows replaced and spend in the account currency."""
    table = Table()
    for name in ("platform", "source", "first day", "last day"):
        table.add_column(name)
    for name in ("rows", "replaced", f"spend, {summary.account_currency}"):
        table.add_column(name, justify="right")
    for (platform, source), channel in sorted(summary.channels.items()):
        table.add_row(platform, source, str(channel.first), str(channel.last), f"{channel.rows:,}",
                      f"{channel.replaced:,}", f"{channel.spend:,.2f}")
    return table


def _print(summary: SpendSummary) -> None:
    console = out if out.is_terminal else Console(width=120)

    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    verb = "Would import" if summary.dry_run else "Imported"
    say(f"{verb} {summary.rows:,} spend rows ({summary.format}) from {summary.file} ({summary.dialect}), "
        f"{summary.first} .. {summary.last}")
    console.print(summary_table(summary))
    say(f"Total spend: {summary.spend:,.2f} {summary.account_currency}")
    if summary.total_rows:
        say(f"Skipped the export's {summary.total_rows} total row(s).")
    for currency, rows in sorted(summary.converted.items()):
        say(f"Converted {rows:,} row(s) from {currency}.")
    if summary.dry_run:
        say("Dry run: nothing was written.")


def register(import_app: typer.Typer) -> None:
    """Add ``salesscope import spend`` to the ``import`` command group."""
    import_app.command("spend")(spend_command)
