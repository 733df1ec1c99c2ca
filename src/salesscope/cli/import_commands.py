"""``salesscope import deals|users FILE --mapping MAP.toml``: load a CSV or XLSX export.

The commands only open the warehouse, call ``connectors.files`` and print its summary. A bad file
or mapping is one line naming the file, row, column and value, with exit code 2; nothing is
written then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from salesscope.cli.output import DbOption
from salesscope.cli.warehouse_access import open_for_writing
from salesscope.connectors.files import ImportInputError, ImportSummary, import_deals, import_users

import_app = typer.Typer(
    help="Import deals or users from a CSV or XLSX export, through a mapping TOML.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)

FileArgument = Annotated[Path, typer.Argument(help="The export: .csv (UTF-8, UTF-8 with BOM or "
                                              "cp1251; , ; or tab) or .xlsx.")]
MappingOption = Annotated[Path, typer.Option("--mapping", help=r"Mapping TOML: \[columns], "
                                             r"\[stages], \[options] (see the help above).")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check the file and show what "
                                            "would change; write nothing.")]


def _fail(message: str) -> NoReturn:
    err.print(f"salesscope: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@import_app.command("deals")
def deals_command(
    file: FileArgument,
    mapping: MappingOption,
    db: DbOption = None,
    account_name: Annotated[str | None, typer.Option(
        "--account-name", help="Name of the account when the warehouse has none yet "
        "(default: the file's name).")] = None,
    dry_run: DryRunOption = False,
) -> None:
    r"""Import deals; owners, pipelines, stages and contacts are created by name.

    The mapping TOML says which column holds each field, and what each stage
    value means:

    \[columns] deal_id = "ID", stage = "Status", created_at = "Created";
    optional: name, owner, pipeline, amount, currency, closed_at, loss_reason,
    source, utm_source, utm_medium, utm_campaign, utm_content, tags, contact.

    \[stages] "New" = { kind = "open", order = 1 }
    "Paid" = { kind = "won", order = 9, name = "Won" }

    \[pipeline_stages."Repeat sales"]: one pipeline's own stages.
    \[stage_entered] "Proposal" = "Proposal date": stage history from dates.

    \[options] timezone, default_currency, default_pipeline, date_formats,
    decimal_comma, tag_separator, default_created_at, contacts_are_companies,
    encoding, delimiter, sheet.

    Re-importing a file changes nothing. A bad file changes nothing and the
    error names its row, column and value.
    """
    try:
        with open_for_writing(db) as wh, err.status(f"Importing deals from {file.name}…"):
            summary = import_deals(wh, file, mapping, account_name=account_name, dry_run=dry_run)
    except ImportInputError as exc:
        _fail(str(exc))
    _print(summary)


@import_app.command("users")
def users_command(
    file: FileArgument,
    mapping: MappingOption,
    db: DbOption = None,
    dry_run: DryRunOption = False,
) -> None:
    r"""Import users with their team and role; teams are created by name.

    \[columns] user = "Name"; optional: team, role, email. Users are matched
    by name with deal owners already imported, so the order does not matter.
    """
    try:
        with open_for_writing(db) as wh, err.status(f"Importing users from {file.name}…"):
            summary = import_users(wh, file, mapping, dry_run=dry_run)
    except ImportInputError as exc:
        _fail(str(exc))
    _print(summary)


_BLANK_LABELS = {
    "closed_at": "won/lost deals with blank closed_at",
    "loss_reason": "lost deals with blank loss_reason",
    "created_at": "blank created_at (given default_created_at)",
}


def summary_table(summary: ImportSummary) -> Table:
    """The summary as a two-column table: what was counted, and how many."""
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("rows read", f"{summary.rows:,}")
    if summary.blank_rows:
        table.add_row("blank rows skipped", f"{summary.blank_rows:,}")
    table.add_row(f"new {summary.kind}", f"{summary.new:,}")
    table.add_row(f"changed {summary.kind}", f"{summary.updated:,}")
    table.add_row(f"unchanged {summary.kind}", f"{summary.unchanged:,}")
    for entity, count in sorted(summary.created.items()):
        if count and summary.kind != entity:
            table.add_row(f"{entity} created", f"{count:,}")
    if summary.kind == "deals":
        table.add_row("new stage changes", f"{summary.stage_changes:,}")
    for field, count in sorted(summary.blanks.items()):
        table.add_row(_BLANK_LABELS.get(field, f"imported with blank {field}"), f"{count:,}")
    for note, times in sorted(summary.notes.items()):
        table.add_row(note, f"{times:,}")
    return table


def _print(summary: ImportSummary) -> None:
    console = out if out.is_terminal else Console(width=120)
    verb = "Would import" if summary.dry_run else "Imported"
    console.print(f"{verb} {summary.kind} from {summary.file} ({summary.dialect})",
                  markup=False, highlight=False)
    console.print(summary_table(summary))
    if summary.not_mapped:
        console.print(f"Not in the mapping (left empty): {', '.join(summary.not_mapped)}",
                      markup=False, highlight=False)
    if summary.account_created:
        console.print(f"Account created: {summary.account_created}", markup=False, highlight=False)
    if not summary.changed_anything:
        console.print("Nothing changed: the warehouse already held this file's data.")
    elif summary.dry_run:
        console.print("Dry run: nothing was written.")
