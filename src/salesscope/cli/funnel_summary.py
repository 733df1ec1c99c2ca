"""A one-screen summary of a by-manager funnel: a row per manager, a column per key stage.

Only rearranges numbers the funnel report computed; it is what `salesscope demo` prints while
there is no dashboard.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

from salesscope.formats import display
from salesscope.reports.result import ReportResult


def summary_table(result: ReportResult, proposal_stage: str) -> Table:
    """Leads, proposals, won and the conversions between them, per manager and average."""
    col = result.column
    table = Table(title=f"{result.title}: {result.filters['period']['label']}")
    for header in ("Manager", "Leads", "Proposals", "Lead → proposal", "Won", "Won, amount",
                   "Lead → won", "Lost, amount"):
        table.add_column(header, justify="left" if header == "Manager" else "right")
    for manager, stages in _by_manager(result).items():
        first = next(iter(stages.values()))
        proposal = stages.get(proposal_stage, first)
        won = next(r for r in stages.values() if r["stage_kind"] == "won")
        lost = sum(r["lost_amount"] for r in stages.values())
        style = "bold" if first["row_kind"] != "manager" else None
        table.add_row(
            manager,
            display(first["reached"], col("reached")),
            display(proposal["reached"], col("reached")),
            display(proposal["conversion_from_first"], col("conversion_from_first")),
            display(won["reached"], col("reached")),
            display(won["reached_amount"], col("reached_amount")),
            display(won["conversion_from_first"], col("conversion_from_first")),
            display(lost, col("lost_amount")),
            style=style,
        )
    return table


def _by_manager(result: ReportResult) -> dict[str, dict[str, dict[str, Any]]]:
    grouped: dict[str, dict[str, dict[str, Any]]] = {}
    for row in result.rows:
        grouped.setdefault(row["manager"], {})[row["stage"]] = row
    return grouped
