"""``salesscope deals``: the deals behind any number of a report, with links to the CRM.

The options are turned into the same query string a report row's ``drill`` column holds, and
parsed by ``reports.drill`` — so ``--drill 'period=2026-05&manager=7&stage=10014&reached=1'`` and
the equivalent options list the same deals, as the dashboard's ``/deals?…`` page does. While
``salesscope serve`` holds the warehouse, the server lists them (``run_deal_list``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

import typer

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
    emit,
    fail,
)
from salesscope.cli.warehouse_access import run_deal_list
from salesscope.reports import drill
from salesscope.reports.errors import FilterError


def deals(
    db: DbOption = None,
    period: PeriodOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    pipeline: PipelineOption = None,
    manager: ManagerOption = None,
    team: TeamOption = None,
    source: SourceOption = None,
    tag: TagOption = None,
    stage: Annotated[str | None, typer.Option(help="Stage name or id: deals now in it, or with "
                                              "--reached / --lost-at.")] = None,
    reached: Annotated[bool, typer.Option("--reached", help="Deals that reached --stage, as the "
                                          "funnel counts them.")] = False,
    lost_at: Annotated[bool, typer.Option("--lost-at", help="Deals lost at --stage.")] = False,
    status: Annotated[str | None, typer.Option(help="open, won or lost (the outcome now).")] = None,
    dated: Annotated[str | None, typer.Option(help="Which date the period applies to: created "
                                              "(default) or closed.")] = None,
    open_at: Annotated[str | None, typer.Option(help="Deals open at the end of this local day, "
                                                "YYYY-MM-DD.")] = None,
    channel: Annotated[str | None, typer.Option(help="utm_source, else CRM source, else (none).")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many deals (oldest first).")] = None,
    drill_query: Annotated[str | None, typer.Option("--drill", help="A report row's drill query, "
                                                    "e.g. 'period=2026-05&manager=7'.")] = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """List the deals behind a report's number (with CRM links), by filters or a drill query."""
    check_format(fmt, output)
    pairs = [(k, v) for k, values in (
        ("period", [period]), ("from", [date_from]), ("to", [date_to]), ("pipeline", pipeline),
        ("manager", manager), ("team", team), ("source", source), ("tag", tag), ("stage", [stage]),
        ("reached", ["1" if reached else None]), ("lost_at", ["1" if lost_at else None]),
        ("status", [status]), ("dated", [dated]), ("open_at", [open_at]), ("channel", [channel]),
        ("limit", [str(limit) if limit is not None else None]),
    ) for v in values or [] if v is not None]
    pairs += parse_qsl((drill_query or "").lstrip("?"), keep_blank_values=True)
    try:
        filters, options = drill.parse(urlencode(pairs))
        result = run_deal_list(db, filters, options)
    except FilterError as exc:
        fail(str(exc))
    emit(result, fmt, output)
