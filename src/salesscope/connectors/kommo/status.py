"""What ``salesscope status`` shows: the last sync, each stream's cursor, row counts, freshness.

Built from plain ``sync_state`` rows and counts, so the same document comes out whether the CLI
read the warehouse itself or asked the server holding it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from salesscope.connectors.kommo.state import RUN, SOURCE, since_label


def status_document(location: str, tables: Mapping[str, int], sync_rows: Sequence[Mapping[str, Any]],
                    data_as_of: dt.datetime | str | None, now: dt.datetime) -> dict[str, Any]:
    """``{"warehouse", "last_sync", "cursors", "streams", "tables", "data_as_of", "age_s"}``."""
    mine = [r for r in sync_rows if r.get("source") == SOURCE]
    run = next((r for r in mine if r.get("entity") == RUN), None)
    as_of = _moment(data_as_of)
    cursors, streams = {}, {}
    for r in sorted(mine, key=lambda r: str(r.get("entity"))):
        if r.get("entity") == RUN:
            continue
        doc = _json(r.get("cursor"))
        cursors[str(r["entity"])] = since_label(doc.get("since"))
        streams[str(r["entity"])] = {"rows": r.get("rows"), "finished_at": _iso(r.get("finished_at")),
                                     "in_progress": not doc.get("done", False)}
    return {
        "warehouse": location,
        "source": SOURCE if run else None,
        "last_sync": _run(run),
        "cursors": cursors,
        "streams": streams,
        "tables": dict(tables),
        "data_as_of": _iso(as_of),
        "age_s": int((now - as_of).total_seconds()) if as_of else None,
    }


def _run(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    started, finished = _moment(row.get("started_at")), _moment(row.get("finished_at"))
    done = finished is not None and started is not None and finished >= started
    return {"started_at": _iso(started), "finished_at": _iso(finished) if done else None,
            "full": bool(_json(row.get("cursor")).get("full")), "finished": done,
            "rows": row.get("rows")}


def age_label(seconds: int | None) -> str:
    """``3 min``, ``2 h 5 min``, ``4 days`` — how old the data is, for people."""
    if seconds is None:
        return "never synced"
    minutes = max(0, seconds) // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // 1440} days"


def _json(text: Any) -> dict[str, Any]:
    try:
        doc = json.loads(text) if isinstance(text, str) else {}
    except json.JSONDecodeError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _moment(value: Any) -> dt.datetime | None:
    """A naive UTC datetime from a datetime or an ISO string (``…Z``) as the server sends it."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _iso(value: Any) -> str | None:
    moment = _moment(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
