"""Errors a user causes with a report request; each names the bad value and the valid choices."""

from __future__ import annotations

from collections.abc import Sequence


class FilterError(ValueError):
    """An unknown report, manager, pipeline, grouping ... or a malformed period."""

    def __init__(self, field: str, value: str, choices: Sequence[str], reason: str = "") -> None:
        self.field = field
        self.value = value
        self.choices = list(choices)
        what = reason or f"unknown {field}"
        shown = ", ".join(self.choices[:40]) + (" …" if len(self.choices) > 40 else "")
        valid = f"; valid: {shown}" if self.choices else "; nothing to choose from yet"
        super().__init__(f"{what} {value!r}{valid}")
