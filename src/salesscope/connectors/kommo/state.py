"""Where a Kommo sync stands, kept in ``sync_state`` (source ``kommo``), one row per stream.

A stream's ``cursor`` is JSON: ``since`` (the Unix time its next incremental window starts at),
and while a run is in progress, that run's checkpoint: which pass, the next page's link, the
newest change seen so far. Every page is written in the same transaction as its checkpoint, so a
killed sync resumes at the first page whose rows were not committed. The ``all`` row records the
run itself: when it started, whether it was a full sync, and when it finished.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from salesscope.connectors.kommo.lookups import rows_where
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

SOURCE = "kommo"
RUN = "all"


@dataclass
class StreamState:
    """One stream's cursor and, during a run, its checkpoint."""

    since: int | None = None
    run: int | None = None
    """The run (its start, Unix seconds) the checkpoint belongs to."""
    pass_no: int = 0
    next_link: str | None = None
    """The next page of pass ``pass_no``; None once that pass is complete."""
    started: bool = False
    """Whether pass ``pass_no`` has begun (a complete pass has ``started`` and no next link)."""
    max_seen: int | None = None
    began: int | None = None
    """When this run first asked for the stream (Unix seconds, our clock)."""
    frozen: bool = False
    """Set when records vanished mid-run (deletions): the window is read again next time."""
    done: bool = False
    rows: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> StreamState:
        if not text:
            return cls()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            return cls()
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class RunState:
    """The ``all`` row: the current or last run."""

    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    full: bool = False
    rows: int = 0
    streams: dict[str, StreamState] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def unfinished(self) -> bool:
        return self.started_at is not None and (
            self.finished_at is None or self.finished_at < self.started_at)


def read(wh: Warehouse) -> RunState:
    """The Kommo rows of ``sync_state``."""
    rows = rows_where(wh, "sync_state", f"\"source\" = '{SOURCE}'")
    state = RunState(raw={r["entity"]: r for r in rows})
    for r in rows:
        if r["entity"] == RUN:
            doc = json.loads(r["cursor"] or "{}")
            state.started_at, state.finished_at = r["started_at"], r["finished_at"]
            state.full, state.rows = bool(doc.get("full")), int(r["rows"] or 0)
        else:
            state.streams[r["entity"]] = StreamState.from_json(r["cursor"])
    return state


def stream_row(name: str, state: StreamState, started_at: dt.datetime,
               finished_at: dt.datetime | None) -> pa.Table:
    """The ``sync_state`` row of a stream, to be upserted with the page it checkpoints."""
    return rows_to_arrow("sync_state", [{
        "source": SOURCE, "entity": name, "cursor": state.to_json(), "started_at": started_at,
        "finished_at": finished_at, "rows": state.rows,
    }])


def run_row(started_at: dt.datetime, full: bool, finished_at: dt.datetime | None,
            rows: int) -> pa.Table:
    """The ``sync_state`` row of the run as a whole."""
    return rows_to_arrow("sync_state", [{
        "source": SOURCE, "entity": RUN, "cursor": json.dumps({"full": full}),
        "started_at": started_at, "finished_at": finished_at, "rows": rows,
    }])


def since_label(since: int | None) -> str | None:
    """A cursor as an ISO UTC time for people (``status``)."""
    if since is None:
        return None
    return dt.datetime.fromtimestamp(since, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
