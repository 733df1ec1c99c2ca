"""``salesscope goals set | list | import``: the sales plans the goals report measures.

While ``salesscope serve`` holds the warehouse they run in the server (``web.control`` calls
``set_goals``, ``goals_result`` and ``import_goals_file`` below), so they work beside a running
dashboard and its pages show the new goals at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from salesscope import goals_store
from salesscope.cli.output import DbOption, FormatOption, check_format, emit, fail
from salesscope.cli.warehouse_access import open_for_reading, open_for_writing, server_client
from salesscope.goals_store import Goal, GoalError
from salesscope.reports.errors import FilterError
from salesscope.reports.period import Period
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.warehouse.store import Warehouse

app = typer.Typer(help="Sales goals per manager or team and period (won amount, won deals).",
                  no_args_is_help=True)
err = Console(stderr=True)

_LIST_COLUMNS = (
    ColumnSpec("scope", "Scope", "string", "manager or team."),
    ColumnSpec("name", "Name", "string", "The manager or the team."),
    ColumnSpec("id", "Id", "integer", "CRM user id or team id."),
    ColumnSpec("period", "Period", "string", "The goal's period (account-local dates)."),
    ColumnSpec("from", "From", "string", "First day of the period."),
    ColumnSpec("to", "To", "string", "Last day of the period (inclusive)."),
    ColumnSpec("metric", "Metric", "string", "won_amount (money won) or won_count (deals won)."),
    ColumnSpec("target", "Target", "number", "The plan: account currency for won_amount, deals "
               "for won_count."),
)


@app.command("set")
def set_goal(
    period: Annotated[str, typer.Option(help="YYYY-MM (or YYYY-Www, YYYY-Qn, YYYY).")],
    manager: Annotated[str | None, typer.Option(help="Manager: CRM id, full or first name.")] = None,
    team: Annotated[str | None, typer.Option(help="Team name or id.")] = None,
    won_amount: Annotated[str | None, typer.Option(help="Plan of money won, account currency.")] = None,
    won_count: Annotated[str | None, typer.Option(help="Plan of deals won.")] = None,
    db: DbOption = None,
) -> None:
    """Set (or replace) a manager's or a team's goal for a period."""
    if (manager is None) == (team is None):
        fail("give exactly one of --manager NAME or --team NAME")
    if won_amount is None and won_count is None:
        fail("give --won-amount N and/or --won-count N")
    scope, name = ("manager", manager) if manager is not None else ("team", team)
    assert name is not None
    targets = [(m, v) for m, v in (("won_amount", won_amount), ("won_count", won_count)) if v is not None]
    try:
        client = server_client(db)
        if client is not None:
            shown = client.set_goals(scope, name, period, targets)
        else:
            with open_for_writing(db) as wh:
                shown = set_goals(wh, scope, name, period, targets)
    except (GoalError, FilterError) as exc:
        fail(str(exc))
    for row in shown:
        target = f"{row['target']:,.2f}".rstrip("0").rstrip(".").replace(",", " ")
        err.print(f"Goal set: {row['scope']} {row['name']}, {row['period']}, {row['metric']} "
                  f"{target}", markup=False, highlight=False)


def set_goals(wh: Warehouse, scope: str, name: str, period: str,
              targets: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Check and store one goal per (metric, target); the stored goals as ``goals list`` rows."""
    goals = [goals_store.make_goal(wh, scope, name, period, m, v) for m, v in targets]
    goals_store.save(wh, goals)
    return [_describe(wh, g) for g in goals]


@app.command("list")
def list_goals(
    period: Annotated[str | None, typer.Option(help="Only goals overlapping this period.")] = None,
    fmt: FormatOption = "table",
    db: DbOption = None,
) -> None:
    """List the stored goals."""
    check_format(fmt, None, ("table", "json", "csv"))
    try:
        client = server_client(db)
        if client is not None:
            result = client.goals(period)
        else:
            with open_for_reading(db) as wh:
                result = goals_result(wh, period)
    except FilterError as exc:
        fail(str(exc))
    emit(result, fmt, None)


def goals_result(wh: Warehouse, period: str | None) -> ReportResult:
    """The stored goals overlapping ``period`` (all without one), as ``goals list`` shows them."""
    chosen = Period.parse(period) if period else None
    rows = [_describe(wh, g) for g in goals_store.load(wh)
            if chosen is None or (g.period_start < chosen.end and g.period_end >= chosen.start)]
    return ReportResult.from_rows("goals_list", "Goals", _LIST_COLUMNS, rows,
                                  {"period": chosen.describe() if chosen else None}, wh.data_as_of())


@app.command("import")
def import_goals(
    file: Annotated[Path, typer.Argument(help="CSV with columns scope,name,period,metric,target.")],
    db: DbOption = None,
) -> None:
    """Import goals from a CSV file: all rows or, on any bad row, none."""
    try:
        client = server_client(db)
        if client is not None:  # the server reads the file itself: give it a path from anywhere
            count, changed = client.import_goals(file.absolute())
        else:
            with open_for_writing(db) as wh:
                count, changed = import_goals_file(wh, file)
    except (GoalError, FilterError) as exc:
        fail(str(exc))
    err.print(f"Imported {count} goals from {file} ({changed} new or changed).")


def import_goals_file(wh: Warehouse, file: Path) -> tuple[int, int]:
    """Store every goal of a CSV file, or none on a bad row; (goals read, new or changed)."""
    goals = goals_store.read_csv(wh, file)
    return len(goals), goals_store.save(wh, goals)


def _describe(wh: Warehouse, g: Goal) -> dict[str, Any]:
    catalog = wh.catalog()
    names = ({int(r["id"]): str(r["name"]) for r in catalog.users} if g.scope == "manager"
             else {int(r["id"]): str(r["name"]) for r in catalog.teams})
    return {"scope": g.scope, "name": names.get(g.owner_id, str(g.owner_id)), "id": g.owner_id,
            "period": g.period.label, "from": g.period_start.isoformat(),
            "to": g.period_end.isoformat(), "metric": g.metric, "target": float(g.target)}
