"""How a report travels between the CLI and a running server: Filters as JSON, results as Arrow.

The CLI asks the server (which holds the only read-write DuckDB connection) to run a report; the
answer is the report's Arrow table with everything else of the ``ReportResult`` in the schema
metadata, so the CLI formats exactly what a local run would have produced (types and all).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pyarrow as pa

from salesscope.reports.drill import DealListOptions
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.reports.result import ColumnSpec, ReportResult

_META_KEY = b"salesscope.report"


def filters_to_json(filters: Filters) -> dict[str, Any]:
    period = filters.period
    return {
        "period": None if period is None else {
            "start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label,
        },
        "pipelines": list(filters.pipelines),
        "managers": list(filters.managers),
        "teams": list(filters.teams),
        "sources": list(filters.sources),
        "tags": list(filters.tags),
        "by": filters.by,
        "options": [[name, value] for name, value in filters.options],
    }


def filters_from_json(doc: dict[str, Any]) -> Filters:
    p = doc.get("period")
    period = None if p is None else Period(
        dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"]), str(p["label"])
    )
    return Filters(
        period,
        tuple(doc.get("pipelines", ())),
        tuple(doc.get("managers", ())),
        tuple(doc.get("teams", ())),
        tuple(doc.get("sources", ())),
        tuple(doc.get("tags", ())),
        doc.get("by"),
        tuple((str(k), v) for k, v in doc.get("options", ())),
    )


def _stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _unstamp(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def result_to_ipc(result: ReportResult) -> bytes:
    """The result as one Arrow IPC stream; the non-table parts ride in the schema metadata."""
    meta = {
        "report": result.report,
        "title": result.title,
        "columns": [[c.name, c.label, c.type, c.description, c.unit] for c in result.columns],
        "filters": result.filters,
        "generated_at": _stamp(result.generated_at),
        "data_as_of": _stamp(result.data_as_of),
        "definitions": result.definitions,
    }
    table = result.table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def result_from_ipc(data: bytes) -> ReportResult:
    table = pa.ipc.open_stream(data).read_all()
    meta = json.loads((table.schema.metadata or {})[_META_KEY])
    columns = tuple(ColumnSpec(name, label, kind, description, unit)
                    for name, label, kind, description, unit in meta["columns"])
    return ReportResult(
        meta["report"], meta["title"], columns, table.replace_schema_metadata(None),
        meta["filters"], _unstamp(meta["generated_at"]) or dt.datetime.now(),
        _unstamp(meta["data_as_of"]), meta["definitions"],
    )


def options_to_json(options: DealListOptions) -> dict[str, Any]:
    doc = dataclasses.asdict(options)
    doc["open_at"] = options.open_at.isoformat() if options.open_at else None
    return doc


def options_from_json(doc: dict[str, Any]) -> DealListOptions:
    values = dict(doc)
    if values.get("open_at"):
        values["open_at"] = dt.date.fromisoformat(values["open_at"])
    return DealListOptions(**values)
