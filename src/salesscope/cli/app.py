"""The ``salesscope`` command line: build the demo, list and run reports.

Commands only parse options, call the warehouse, demo or report functions, and format results;
every error a user can cause is one line naming the bad value, with exit code 2.

The report registry (pandas, through the reports' Ibis converters), the web app (FastAPI) and the
demo are imported inside the commands that use them: ``salesscope sync`` then starts ~80 MB lighter
(``tests/test_imports.py`` keeps it so).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from salesscope import __version__
from salesscope.cli import kommo_commands, rates_commands, sales_commands, spend_commands
from salesscope.cli.funnel_summary import summary_table
from salesscope.cli.import_commands import import_app
from salesscope.cli.output import (
    DbOption,
    FormatOption,
    FromOption,
    ManagerOption,
    OutputOption,
    PeriodOption,
    PipelineOption,
    SourceOption,
    TagOption,
    TeamOption,
    ToOption,
    check_format,
    console,
    emit,
    err,
    fail,
    out,
)
from salesscope.cli.warehouse_access import open_for_reading, open_for_writing, run_report
from salesscope.cli.web_commands import register as register_web_commands
from salesscope.cli.web_commands import serve_demo
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period, last_full_month
from salesscope.warehouse.schema import TABLES
from salesscope.warehouse.store import WarehouseError

app = typer.Typer(
    name="salesscope",
    help="Self-hosted sales analytics for businesses that sell through a CRM.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"salesscope {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """salesscope: where the business leaks money, today, on your own machine."""


@app.command()
def demo(
    db: DbOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the demo and exit.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed builds the same account.")] = 7,
    today: Annotated[str | None, typer.Option(help="Last day of the history, YYYY-MM-DD (default: today).")] = None,
    scale: Annotated[str, typer.Option(help="default (~20k deals) or large (~1M deals, for benchmarks).")] = "default",
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the dashboard listens on.")] = 8000,
) -> None:
    """Build the demo account (13+ months of a sales team's history, every seed case) and serve it."""
    from salesscope.demo import build_demo
    from salesscope.reports import registry

    if scale not in ("default", "large"):
        fail(f"unknown scale {scale!r}; valid: default, large")
    day = _parse_day("today", today) if today else None
    with open_for_writing(db) as wh, err.status(f"Building the {scale} demo account…"):
        summary = build_demo(wh, seed=seed, today=day, scale=scale)
    err.print(
        f"Demo account built in {summary.seconds:.1f} s at {wh.location}: "
        f"{summary.counts.get('deals', 0):,} deals, {summary.counts.get('activities', 0):,} activities."
    )
    if no_serve:
        return
    # No dashboard yet: show the funnel of the seed month, each manager against the team.
    period = last_full_month(summary.today)
    filters = Filters(period=period, pipelines=("Sales",), by="manager")
    with open_for_reading(db) as wh:
        result = registry.run(wh, "funnel", filters)
    console().print(summary_table(result, proposal_stage="Commercial proposal sent"))
    out.print(f"Every stage: salesscope report funnel --period {period.label} --by manager"
              f"{'' if db is None else f' --db {db}'}", markup=False)
    serve_demo(db, host, port)


@app.command("reports")
def list_reports() -> None:
    """List the reports with their one-line definitions."""
    from salesscope.reports import registry

    for spec in registry.REPORTS:
        groupings = f" (--by {'|'.join(spec.groupings)})" if spec.groupings else ""
        out.print(f"[bold]{spec.name}[/bold]{groupings}: {spec.title}. {spec.summary}")
        for opt in spec.options:
            default = "" if opt.type is bool else f" (default {opt.default})"
            out.print(f"    {opt.flag}: {opt.help}{default}", markup=False)


def _split(values: list[str] | None) -> tuple[str, ...]:
    """Repeated options and comma-separated lists both work: --manager A --manager B,C."""
    found: list[str] = []
    for value in values or []:
        found += [part.strip() for part in value.split(",") if part.strip()]
    return tuple(found)


def _parse_day(field: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"malformed {field} {text!r}; valid: a date YYYY-MM-DD")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def report(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Report name (see `salesscope reports`).")],
    db: DbOption = None,
    period: PeriodOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    pipeline: PipelineOption = None,
    manager: ManagerOption = None,
    team: TeamOption = None,
    source: SourceOption = None,
    tag: TagOption = None,
    by: Annotated[str | None, typer.Option(help="Grouping where the report has one: manager, team, ...")] = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Run one report with the common filters, plus the report's own options (`salesscope reports`)."""
    from salesscope.reports import registry

    check_format(fmt, output)
    try:
        spec = registry.get(name)
        if period and (date_from or date_to):
            fail("give either --period or --from/--to, not both")
        chosen = (Period.parse(period) if period
                  else Period.between(date_from, date_to) if (date_from or date_to) else None)
        options = spec.with_defaults(spec.parse_options(ctx.args))
        filters = Filters(chosen, _split(pipeline), _split(manager), _split(team), _split(source),
                          _split(tag), by, tuple(sorted(options.items())))
        result = run_report(db, spec, filters)  # through `serve` when it holds the warehouse
    except FilterError as exc:
        fail(str(exc))
    emit(result, fmt, output)


@app.command()
def backup(
    folder: Annotated[Path, typer.Argument(help="Folder to write TABLE.parquet files and manifest.json into.")],
    db: DbOption = None,
) -> None:
    """Back up every canonical table as Parquet (readable by any DuckDB version or engine)."""
    from salesscope.warehouse.backup import backup as write_backup

    with open_for_reading(db) as wh:
        counts = write_backup(wh, folder)
    err.print(f"Backed up {sum(counts.values()):,} rows of {len(counts)} tables to {folder}")


@app.command()
def restore(
    folder: Annotated[Path, typer.Argument(help="A folder written by `salesscope backup`.")],
    db: DbOption = None,
) -> None:
    """Replace the warehouse's content with a Parquet backup (all or nothing)."""
    from salesscope.warehouse.backup import restore as read_backup

    with open_for_writing(db) as wh:
        counts = read_backup(wh, folder)
    err.print(f"Restored {sum(counts.values()):,} rows of {len(counts)} tables from {folder}")


@app.command()
def schema() -> None:
    """Describe the canonical warehouse: every table and column with its meaning."""
    for t in TABLES:
        out.print(f"[bold]{t.name}[/bold] (key: {', '.join(t.primary_key)}): {t.description}")
        for c in t.columns:
            out.print(f"  {c.name:<20} {c.type:<14} {c.description}", markup=False)


# Command groups from other modules register here, one line each (keep this block last):
# e.g. `app.add_typer(goals_commands.app, name="goals")` with the import at the top of the file.
# -- command registrations --
kommo_commands.register(app)
register_web_commands(app)
sales_commands.register(app)
app.add_typer(import_app, name="import")
spend_commands.register(import_app)
rates_commands.register(app)


def main() -> None:
    """Console-script entry point: warehouse problems are one line and exit code 1."""
    try:
        app()
    except WarehouseError as exc:
        err.print(f"salesscope: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
