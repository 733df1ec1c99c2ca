"""The declaration every report module exports as ``SPEC``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesscope.reports.filters import Filters
    from salesscope.reports.result import ReportResult
    from salesscope.warehouse.store import Warehouse


@dataclass(frozen=True)
class ReportSpec:
    """A report: its name, title, one-line definition, groupings it supports, and its function."""

    name: str
    title: str
    summary: str
    groupings: tuple[str, ...]
    run: Callable[[Warehouse, Filters], ReportResult]
