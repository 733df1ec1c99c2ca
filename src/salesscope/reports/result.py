"""What every report returns: a typed table, its column metadata and its meta.

Surfaces (CLI, web, exports, digests) only format a ``ReportResult``; they never compute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

ColumnType = Literal["string", "integer", "number", "money", "fraction", "boolean", "datetime"]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "money": pa.float64(),
    "fraction": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("us"),
}


def arrow_type(column_type: ColumnType) -> pa.DataType:
    """The Arrow type a column of ``column_type`` is stored as (for results built by column)."""
    return _ARROW_TYPES[column_type]


@dataclass(frozen=True)
class ColumnSpec:
    """One output column: name, what to call it, its type and unit, and what it means."""

    name: str
    label: str
    type: ColumnType
    description: str
    unit: str | None = None

    def with_unit(self, unit: str | None) -> ColumnSpec:
        return ColumnSpec(self.name, self.label, self.type, self.description, unit)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type, "unit": self.unit}


@dataclass(frozen=True)
class ReportResult:
    """A report's answer: typed rows plus everything needed to present and explain them."""

    report: str
    title: str
    columns: tuple[ColumnSpec, ...]
    table: pa.Table
    filters: dict[str, Any]
    generated_at: dt.datetime
    data_as_of: dt.datetime | None
    definitions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        report: str,
        title: str,
        columns: Sequence[ColumnSpec],
        rows: Sequence[dict[str, Any]],
        filters: dict[str, Any],
        data_as_of: dt.datetime | None,
        definitions: dict[str, str] | None = None,
    ) -> ReportResult:
        """Build the typed table from row dicts, checking every row has exactly the columns."""
        schema = pa.schema([(c.name, _ARROW_TYPES[c.type]) for c in columns])
        names = [c.name for c in columns]
        for row in rows:
            if list(row) != names:
                raise ValueError(f"{report}: row columns {list(row)} differ from {names}")
        table = pa.Table.from_pylist(list(rows), schema=schema)
        return cls(
            report, title, tuple(columns), table, filters,
            dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0), data_as_of,
            definitions or {c.name: c.description for c in columns},
        )

    @property
    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.table.to_pylist()
        return rows

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)
