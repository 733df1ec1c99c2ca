"""Arrow schemas of the canonical tables, so every loader hands the warehouse typed batches.

Loading goes through Arrow because row-by-row inserts into DuckDB are ~30x slower
(``../shared/STACK.md``); the Arrow schema is derived from the one declaration in ``schema``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from salesscope.warehouse.schema import table

_TYPES: dict[str, pa.DataType] = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "DECIMAL(18,2)": pa.decimal128(18, 2),
    "DECIMAL(18,6)": pa.decimal128(18, 6),
    "VARCHAR[]": pa.list_(pa.string()),
}


def arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema of a canonical table, columns in declared order."""
    declared = table(name)
    return pa.schema(
        [pa.field(c.name, _TYPES[c.type], nullable=c.nullable) for c in declared.columns]
    )


def rows_to_arrow(name: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Row dicts to a typed Arrow table; a missing optional column becomes NULL."""
    schema = arrow_schema(name)
    rows = list(rows)
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return pa.table(columns, schema=schema)
