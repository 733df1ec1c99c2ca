"""What every CLI command shares: the --db and --format options, one-line errors, result output.

Commands only parse and format; these helpers make every command print a result, a file or an
error the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from salesscope import formats
from salesscope.reports.result import ReportResult

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Warehouse file or postgresql:// URL "
                 "(else $SALESSCOPE_DB, else $SALESSCOPE_HOME/salesscope.duckdb)."),
]
FormatOption = Annotated[str, typer.Option("--format", help="table, json, csv or xlsx.")]
OutputOption = Annotated[Path | None, typer.Option(help="Write to this file instead of the terminal.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr and an exit code: 2 for bad input, 1 for a broken environment."""
    err.print(f"salesscope: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def check_format(fmt: str, output: Path | None, allowed: tuple[str, ...] = formats.FORMATS) -> None:
    if fmt not in allowed:
        fail(f"unknown format {fmt!r}; valid: {', '.join(allowed)}")
    if fmt == "xlsx" and output is None:
        fail("--format xlsx needs --output FILE.xlsx")


def console() -> Console:
    """The terminal, or for a pipe a console wide enough that tables are not squeezed."""
    return out if out.is_terminal else Console(width=200)


def emit(result: ReportResult, fmt: str, output: Path | None) -> None:
    """Write a result as the format asks, to the terminal or a file."""
    if fmt == "xlsx":
        assert output is not None
        formats.write_xlsx(result, output)
    elif fmt in ("json", "csv"):
        text = formats.to_json(result) if fmt == "json" else formats.to_csv(result)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    elif output:
        with output.open("w", encoding="utf-8") as fh:
            Console(file=fh, width=200).print(formats.to_rich_table(result))
    else:
        console().print(formats.to_rich_table(result))
    if output:
        err.print(f"Wrote {result.report} ({len(result.rows)} rows) to {output}")

# The common report filters, declared once for every command that takes them (report, deals).
PeriodOption = Annotated[str | None, typer.Option(help="YYYY-MM, YYYY-Www, YYYY-Qn or YYYY; omitted = all time.")]
FromOption = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD.")]
PipelineOption = Annotated[list[str] | None, typer.Option(help="Pipeline name or id; repeat for several.")]
ManagerOption = Annotated[list[str] | None, typer.Option(help="Manager: CRM id, full or first name.")]
TeamOption = Annotated[list[str] | None, typer.Option(help="Team name or id.")]
SourceOption = Annotated[list[str] | None, typer.Option(help="Lead source or utm_source.")]
TagOption = Annotated[list[str] | None, typer.Option(help="Deal tag (any of them).")]
