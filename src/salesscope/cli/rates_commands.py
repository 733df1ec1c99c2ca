"""``salesscope rates import|list``: the exchange rates that convert ad spend to the account currency.

A rate is how many units of the account currency one unit of the other currency buys on a day.
Importing upserts by (currency, day); a bad file is one line naming file, row, column and value,
with exit code 2, and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from salesscope.cli.output import DbOption, err, fail, out
from salesscope.cli.warehouse_access import open_for_reading, open_for_writing
from salesscope.connectors.files.errors import ImportInputError
from salesscope.connectors.files.rates import RatesSummary, import_rates, list_rates

app = typer.Typer(help="Currency rates into the account currency (for ad spend).", no_args_is_help=True)


def _console() -> Console:
    return out if out.is_terminal else Console(width=120)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX with the columns date, currency, rate.")],
    db: DbOption = None,
) -> None:
    """Import rates: one row per currency and day, rate = account currency per 1 unit.

    A day already stored for a currency is overwritten; weekends may be left
    out (spend takes the latest rate up to 7 days older).
    """
    try:
        with open_for_writing(db) as wh, err.status(f"Importing rates from {file.name}…"):
            summary = import_rates(wh, file)
    except ImportInputError as exc:
        fail(str(exc))
    _print_import(summary)


def _print_import(summary: RatesSummary) -> None:
    console = _console()
    console.print(f"Imported {summary.rows:,} rates from {summary.file} ({summary.dialect}): "
                  f"{summary.new:,} new, {summary.changed:,} changed, {summary.unchanged:,} unchanged",
                  markup=False, highlight=False, soft_wrap=True)
    table = Table()
    for name in ("currency", "first day", "last day"):
        table.add_column(name)
    for currency, (first, last) in sorted(summary.ranges.items()):
        table.add_row(currency, str(first), str(last))
    console.print(table)


@app.command("list")
def list_command(
    currency: Annotated[str | None, typer.Option("--currency", help="Only this currency, e.g. EUR.")] = None,
    db: DbOption = None,
) -> None:
    """List the stored rates by currency and day."""
    with open_for_reading(db) as wh:
        account = wh.account()
        rows = list_rates(wh, currency)
    unit = account.currency if account else "account currency"
    table = Table()
    table.add_column("currency")
    table.add_column("date")
    table.add_column(f"rate, {unit} per unit", justify="right")
    for row in rows:
        table.add_row(str(row["currency"]), str(row["date"]), format(row["rate"].normalize(), "f"))
    console = _console()
    console.print(table)
    console.print(f"{len(rows):,} rate(s)", markup=False, highlight=False, soft_wrap=True)


def register(main: typer.Typer) -> None:
    """Add ``salesscope rates …`` to the main CLI."""
    main.add_typer(app, name="rates")
