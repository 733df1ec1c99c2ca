"""Account-wide settings that change what reports count, declared once with type, default, help.

Stored as text in the warehouse's ``settings`` table (name, value) and parsed here, so every
surface (CLI, web admin page, reports) reads the same typed value. Per-pipeline settings use the
name ``<setting>:<pipeline id>`` (e.g. ``proposal_stage:1001``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.engines import transaction
from salesscope.warehouse.store import Warehouse

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _clock(text: str) -> dt.time:
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time HH:MM")
    return dt.time(int(match[1]), int(match[2]))


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"{text!r} is not a positive whole number")
    return value


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise ValueError(f"{text!r} is not a percentage from 0 to 100")
    return value


@dataclass(frozen=True)
class Setting:
    """One declared setting: how to parse it, its default, what it changes."""

    name: str
    parse: Callable[[str], Any]
    default: str
    help: str
    per_pipeline: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("overload_limit", _positive_int, "60",
            "Open deals per manager above which the manager counts as overloaded."),
    Setting("proposal_stage", int, "",
            "The stage (stages.id) whose reaching means a commercial proposal was sent; default: "
            "the first open stage whose name mentions a proposal (proposal, КП, пропозиц, "
            "предложен).", per_pipeline=True),
    Setting("work_start", _clock, "09:00", "Start of the working day, account-local HH:MM."),
    Setting("work_end", _clock, "18:00", "End of the working day, account-local HH:MM."),
    Setting("lunch_start", _clock, "13:00", "Start of the lunch break, account-local HH:MM."),
    Setting("lunch_end", _clock, "14:00", "End of the lunch break, account-local HH:MM."),
    Setting("margin_percent", _percent, "",
            "Gross margin as a percentage of revenue (0-100); when set, the channels report's profit "
            "is revenue x margin - spend and it shows ROMI; unset: profit = revenue - spend."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_PROPOSAL_WORDS = ("proposal", "кп", "пропозиц", "предложен")


class SettingError(ValueError):
    """An unknown setting or a value that does not parse; the message names both."""


def declared(name: str) -> tuple[Setting, int | None]:
    """The declaration behind a stored name, and the pipeline id for a per-pipeline name."""
    base, _, pipeline = name.partition(":")
    setting = _BY_NAME.get(base)
    if setting is None:
        raise SettingError(f"unknown setting {name!r}; valid: {', '.join(_BY_NAME)}")
    if setting.per_pipeline != bool(pipeline):
        form = f"{base}:<pipeline id>" if setting.per_pipeline else base
        raise SettingError(f"setting {name!r} must be named {form}")
    if pipeline and not pipeline.isdigit():
        raise SettingError(f"setting {name!r}: {pipeline!r} is not a pipeline id")
    return setting, int(pipeline) if pipeline else None


def stored(wh: Warehouse) -> dict[str, str]:
    """The raw stored values."""
    return {str(r["name"]): str(r["value"]) for r in wh.rows("settings")}


def get(wh: Warehouse, name: str) -> Any:
    """A setting's typed value: the stored one, else its default (None for an empty default)."""
    setting, _ = declared(name)
    text = stored(wh).get(name, setting.default)
    return setting.parse(text) if text != "" else None


def set_value(wh: Warehouse, name: str, value: str) -> Any:
    """Check and store a setting; returns the typed value."""
    setting, _ = declared(name)
    try:
        typed = setting.parse(value)
    except ValueError as exc:
        raise SettingError(f"setting {name}: {exc}") from None
    with transaction(wh.engine):
        wh.engine.execute(f"DELETE FROM settings WHERE name = '{name}'")
        wh.engine.append("settings", rows_to_arrow("settings", [{"name": name, "value": value}]))
    wh.invalidate()
    return typed


def proposal_stage(wh: Warehouse, pipeline_id: int) -> int | None:
    """The proposal stage of a pipeline: configured, else the first open stage named like one."""
    configured = get(wh, f"proposal_stage:{pipeline_id}")
    if configured is not None:
        return int(configured)
    stages = sorted((s for s in wh.catalog().stages
                     if s["pipeline_id"] == pipeline_id and s["kind"] == "open"),
                    key=lambda s: s["sort"])
    for stage in stages:
        if any(word in str(stage["name"]).casefold() for word in _PROPOSAL_WORDS):
            return int(stage["id"])
    return None
