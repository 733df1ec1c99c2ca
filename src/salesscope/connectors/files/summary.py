"""What an import did, for the command to print: rows read, new, changed, blanks, created."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportSummary:
    """Counts of one import (or of a dry run, which writes nothing)."""

    kind: str  # deals or users
    file: Path
    dialect: str
    rows: int = 0
    blank_rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    blanks: dict[str, int] = field(default_factory=dict)  # mapped optional field -> blank rows
    not_mapped: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)  # users, teams, pipelines, ...
    stage_changes: int = 0
    account_created: str | None = None
    notes: dict[str, int] = field(default_factory=dict)  # oddities kept as given -> rows
    dry_run: bool = False

    @property
    def changed_anything(self) -> bool:
        return bool(self.new or self.updated or any(self.created.values()) or self.stage_changes
                    or self.account_created)
