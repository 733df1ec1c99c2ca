"""Deal rows for leads deleted before any sync saw them, rebuilt from their events.

Kommo lists a deleted lead only as ``{id, updated_at, is_deleted}`` (``with=only_deleted``), and
``GET /leads`` no longer returns it; its audit log stays: ``lead_added``, ``lead_status_changed``
(pipeline and status after), ``entity_responsible_changed`` (new responsible), ``lead_deleted``.
Without a ``deals`` row the actions on such a lead point at nothing: no pipeline (a pipeline filter
drops them, unlike the actions on a lead deleted after a sync) and not marked as deleted work.

So after the events are loaded, every deal that has a ``deal_deleted`` action but no row gets a
*tombstone*: ``deleted`` true (every report that counts deals leaves it out), created when its
``lead_added`` happened (else its first action), in the stage its last stage change led to (else
the main pipeline's first open stage — Kommo keeps no other trace of it), owned by its last new
responsible (else the last person who moved it, else whoever added it), closed when its last move
went to won or lost. Name, budget, contact, source, UTM and tags are not in the log and stay
empty. A lead restored later is listed again by ``GET /leads`` and its real row replaces the
tombstone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

CHUNK = 1000
"""Deal ids per lookup statement."""
_MARKERS = ("deal_created", "responsible_changed", "deal_deleted", "deal_restored")


@dataclass
class _Trace:
    """What the stored actions of one deleted deal tell."""

    first_at: dt.datetime | None = None
    added: tuple[dt.datetime, int | None] | None = None
    """(when, by whom) the lead was added."""
    responsible: tuple[dt.datetime, int, int | None] | None = None
    """(when, action id, new responsible) of the last responsibility change."""
    last_flag: tuple[dt.datetime, int, bool] | None = None
    """(when, action id, deleted) of the last deletion or restore."""
    last_move: tuple[dt.datetime, int, int] | None = None
    """(when, change id, stage after) of the last stage change."""
    mover: tuple[dt.datetime, int, int] | None = None
    """(when, change id, by whom) of the last stage change made by a person."""

    def seen(self, at: dt.datetime) -> None:
        self.first_at = at if self.first_at is None else min(self.first_at, at)


def tombstones(wh: Warehouse, currency: str) -> pa.Table:
    """``deals`` rows for the deleted deals that have actions but no row (see the module doc)."""
    missing = [int(r[0]) for r in wh.engine.query(
        "SELECT DISTINCT a.deal_id FROM activities a WHERE a.kind = 'deal_deleted' "
        "AND a.deal_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.id = a.deal_id)")]
    if not missing:
        return rows_to_arrow("deals", [])
    stages = {int(r[0]): (int(r[1]), str(r[2])) for r in wh.engine.query(
        'SELECT "id", pipeline_id, kind FROM stages')}
    default = _default_stage(wh)
    rows = []
    for ids in _chunks(sorted(missing)):
        for deal_id, trace in _traces(wh, ids).items():
            row = _row(deal_id, trace, stages, default, currency)
            if row is not None:
                rows.append(row)
    return rows_to_arrow("deals", rows)


def _traces(wh: Warehouse, ids: list[int]) -> dict[int, _Trace]:
    listed = ", ".join(str(i) for i in ids)  # integers only
    traces = {i: _Trace() for i in ids}
    for deal_id, at in wh.engine.query(
            f'SELECT deal_id, min("at") FROM activities WHERE deal_id IN ({listed}) GROUP BY deal_id'):
        traces[int(deal_id)].seen(at)
    markers = ", ".join(f"'{k}'" for k in _MARKERS)
    for deal_id, action_id, kind, at, author, details in wh.engine.query(
            f'SELECT deal_id, "id", kind, "at", author_id, details FROM activities '
            f"WHERE deal_id IN ({listed}) AND kind IN ({markers})"):
        _mark(traces[int(deal_id)], int(action_id), str(kind), at, author, details)
    for deal_id, change_id, to_stage, at, by in wh.engine.query(
            f'SELECT deal_id, "id", to_stage_id, "at", by_user_id FROM deal_stage_changes '
            f"WHERE deal_id IN ({listed})"):
        trace = traces[int(deal_id)]
        trace.seen(at)
        move = (at, int(change_id), int(to_stage))
        if trace.last_move is None or move[:2] > trace.last_move[:2]:
            trace.last_move = move
        if by and (trace.mover is None or move[:2] > trace.mover[:2]):
            trace.mover = (at, int(change_id), int(by))
    return traces


def _mark(trace: _Trace, action_id: int, kind: str, at: dt.datetime, author: int | None,
          details: str | None) -> None:
    if kind == "deal_created":
        if trace.added is None or at < trace.added[0]:
            trace.added = (at, author)
    elif kind == "responsible_changed":
        if trace.responsible is None or (at, action_id) > trace.responsible[:2]:
            trace.responsible = (at, action_id, _new_responsible(details))
    elif trace.last_flag is None or (at, action_id) > trace.last_flag[:2]:
        trace.last_flag = (at, action_id, kind == "deal_deleted")


def _row(deal_id: int, trace: _Trace, stages: dict[int, tuple[int, str]], default: int | None,
         currency: str) -> dict[str, Any] | None:
    """The tombstone, or None when the lead was restored since or nothing dates it."""
    if trace.last_flag is None or not trace.last_flag[2]:
        return None  # restored: GET /leads lists it again
    created = trace.added[0] if trace.added else trace.first_at
    stage = trace.last_move[2] if trace.last_move and trace.last_move[2] in stages else default
    if created is None or stage is None:
        return None
    closed = None
    if trace.last_move and trace.last_move[2] == stage and stages[stage][1] != "open":
        closed = trace.last_move[0]
    owner = _owner(trace)
    return {
        "id": deal_id, "name": None, "amount": Decimal("0.00"), "currency": currency,
        "pipeline_id": stages[stage][0], "stage_id": stage, "owner_id": owner, "contact_id": None,
        "created_at": created, "updated_at": trace.last_flag[0], "closed_at": closed, "tags": [],
        "deleted": True,
    }


def _owner(trace: _Trace) -> int | None:
    """The last new responsible, else the last person who moved the deal (its manager, as a rule),
    else who added it."""
    if trace.responsible and trace.responsible[2]:
        return trace.responsible[2]
    if trace.mover:
        return trace.mover[2]
    return trace.added[1] if trace.added else None


def _default_stage(wh: Warehouse) -> int | None:
    """The first open stage of the main pipeline (else of the first pipeline)."""
    rows = wh.engine.query(
        'SELECT s."id" FROM stages s JOIN pipelines p ON p."id" = s.pipeline_id '
        "WHERE s.kind = 'open' ORDER BY p.is_main DESC, p.sort, p.\"id\", s.sort, s.\"id\" LIMIT 1")
    return int(rows[0][0]) if rows else None


def _new_responsible(details: str | None) -> int | None:
    """The ``responsible_user`` id in an ``entity_responsible_changed`` event's ``after``."""
    try:
        after = json.loads(details or "{}").get("after") or []
    except json.JSONDecodeError:
        return None
    for value in after:
        user = value.get("responsible_user") if isinstance(value, dict) else None
        if isinstance(user, dict) and user.get("id"):
            return int(user["id"])
    return None


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]
