"""Errors a user causes with an import: each names the file, where in it, the value and what to do.

A bad file or mapping never changes the warehouse: every check runs before the one write
transaction, so these errors are raised while nothing has been written yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def _choices(choices: Sequence[str]) -> str:
    shown = ", ".join(choices[:30]) + (" …" if len(choices) > 30 else "")
    return f"; valid: {shown}" if choices else ""


class ImportInputError(ValueError):
    """Something in the imported file or its mapping that the user must fix (CLI exit code 2)."""


class FileImportError(ImportInputError):
    """A bad cell, row or header of the imported file.

    ``row`` is the spreadsheet row number (the header is row 1, the first data row is row 2), so
    the user finds the cell where Excel or LibreOffice shows it.
    """

    def __init__(
        self,
        file: Path | str,
        row: int,
        column: str,
        value: object,
        reason: str,
        choices: Sequence[str] = (),
        hint: str = "",
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason
        self.choices = list(choices)
        where = str(file) + (f": row {row}" if row else "") + (
            f", column {column!r}" if column else "")
        tail = f" ({hint})" if hint else ""
        super().__init__(f"{where}: {reason} {value!r}{_choices(self.choices)}{tail}")


class MappingError(ImportInputError):
    """A mapping TOML that cannot be used; names the mapping file and the key."""

    def __init__(self, file: Path | str, key: str, reason: str, choices: Sequence[str] = ()) -> None:
        self.file = str(file)
        self.key = key
        where = f"{file}: {key}" if key else str(file)
        super().__init__(f"{where}: {reason}{_choices(list(choices))}")


class BadValue(ValueError):
    """A cell that does not parse; the caller adds file, row and column (``FileImportError``)."""

    def __init__(self, reason: str, choices: Sequence[str] = ()) -> None:
        self.reason = reason
        self.choices = list(choices)
        super().__init__(reason)
