"""``salesscope settings list | set``: the account settings that change what reports count.

While ``salesscope serve`` holds the warehouse both run in the server (``web.control`` calls
``settings_result`` and ``apply_setting`` below), so they work beside a running dashboard.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from salesscope import settings
from salesscope.cli.output import DbOption, FormatOption, check_format, emit, fail
from salesscope.cli.warehouse_access import open_for_reading, open_for_writing, server_client
from salesscope.reports.errors import FilterError
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.warehouse.store import Warehouse

app = typer.Typer(help="Account settings: overload limit, proposal stage per pipeline, working hours.",
                  no_args_is_help=True)
err = Console(stderr=True)

_COLUMNS = (
    ColumnSpec("name", "Name", "string", "Setting name; per-pipeline settings are "
               "name:<pipeline id>."),
    ColumnSpec("value", "Value", "string", "The value in force: the stored one, else the default "
               "(for a proposal stage: the stage found by its name)."),
    ColumnSpec("stored", "Stored", "boolean", "Whether the value was set (else it is the default)."),
    ColumnSpec("default", "Default", "string", "The value when none is set."),
    ColumnSpec("help", "Help", "string", "What the setting changes."),
)


@app.command("list")
def list_settings(fmt: FormatOption = "table", db: DbOption = None) -> None:
    """List every setting with its value, default and meaning."""
    check_format(fmt, None, ("table", "json", "csv"))
    client = server_client(db)
    if client is not None:
        result = client.settings()
    else:
        with open_for_reading(db) as wh:
            result = settings_result(wh)
    emit(result, fmt, None)


def settings_result(wh: Warehouse) -> ReportResult:
    """Every setting with its value in force, as ``settings list`` shows it."""
    return ReportResult.from_rows("settings", "Settings", _COLUMNS, _rows(wh), {}, wh.data_as_of())


def _rows(wh: Warehouse) -> list[dict[str, Any]]:
    stored = settings.stored(wh)
    rows = []
    for s in settings.SETTINGS:
        if not s.per_pipeline:
            rows.append({"name": s.name, "value": stored.get(s.name, s.default),
                         "stored": s.name in stored, "default": s.default, "help": s.help})
            continue
        for p in sorted(wh.catalog().pipelines, key=lambda p: (p["sort"], p["id"])):
            name = f"{s.name}:{p['id']}"
            found = settings.proposal_stage(wh, int(p["id"])) if s.name == "proposal_stage" else None
            rows.append({"name": name, "value": stored.get(name, "" if found is None else str(found)),
                         "stored": name in stored, "default": s.default or "(by stage name)",
                         "help": f"{p['name']}: {s.help}"})
    return rows


@app.command("set")
def set_setting(
    name: Annotated[str, typer.Argument(help="Setting name (see `salesscope settings list`).")],
    value: Annotated[str, typer.Argument(help="The new value.")],
    db: DbOption = None,
) -> None:
    """Set one setting; the value is checked before anything is stored."""
    try:
        client = server_client(db)
        if client is not None:
            typed = client.set_setting(name, value)
        else:
            with open_for_writing(db) as wh:
                typed = apply_setting(wh, name, value)
    except (settings.SettingError, FilterError) as exc:
        fail(str(exc))
    err.print(f"{name} = {typed}", markup=False, highlight=False)


def apply_setting(wh: Warehouse, name: str, value: str) -> str:
    """Check and store one setting; the value as stored, for the confirmation line."""
    _check_stage(wh, name, value)
    return str(settings.set_value(wh, name, value))


def _check_stage(wh: Warehouse, name: str, value: str) -> None:
    """A proposal stage must be an open stage of its pipeline, and the pipeline must exist."""
    setting, pipeline_id = settings.declared(name)
    if setting.name != "proposal_stage" or pipeline_id is None:
        return
    pipelines = {int(p["id"]): str(p["name"]) for p in wh.catalog().pipelines}
    if pipeline_id not in pipelines:
        valid = ", ".join(f"proposal_stage:{i} ({n})" for i, n in sorted(pipelines.items()))
        raise settings.SettingError(f"unknown pipeline in {name!r}; valid: {valid}")
    stages = [s for s in wh.catalog().stages if s["pipeline_id"] == pipeline_id and s["kind"] == "open"]
    if not any(str(s["id"]) == value.strip() for s in stages):
        valid = ", ".join(f"{s['id']} ({s['name']})" for s in sorted(stages, key=lambda s: s["sort"]))
        raise settings.SettingError(f"setting {name}: {value!r} is not an open stage of "
                                    f"{pipelines[pipeline_id]}; valid: {valid}")
