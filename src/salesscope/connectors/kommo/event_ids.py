"""Warehouse ids for Kommo's string event ids, found again on every re-fetch (see ``ids``).

An event seen before keeps its id: the activities of its millisecond are read back and matched
by the Kommo id kept in ``details``. A new event gets the next free number of its millisecond,
in (time, Kommo id) order within a page, so a re-run over the same pages — after ``kill -9``, or
an overlapping incremental window — assigns exactly the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from salesscope.connectors.kommo.ids import EVENT_SEQ_BITS, event_key, event_key_range, event_millisecond
from salesscope.connectors.kommo.map_events import kommo_event_id
from salesscope.warehouse.store import Warehouse

_SEQ_MASK = 2**EVENT_SEQ_BITS - 1


def assign_event_ids(wh: Warehouse, events: list[dict[str, Any]]) -> dict[str, int]:
    """Kommo event id → warehouse id for every event of a page."""
    ms_of = {str(e["id"]): event_millisecond(str(e["id"]), int(e["created_at"])) for e in events}
    known: dict[str, int] = {}
    last_seq: dict[int, int] = {}
    for warehouse_id, details in _stored(wh, set(ms_of.values())):
        event_id = kommo_event_id(details)
        if event_id is not None:
            known[event_id] = warehouse_id
        ms = warehouse_id >> EVENT_SEQ_BITS
        last_seq[ms] = max(last_seq.get(ms, -1), warehouse_id & _SEQ_MASK)
    assigned: dict[str, int] = {}
    for event_id in sorted(ms_of, key=lambda e: (ms_of[e], e)):
        if event_id in known:
            assigned[event_id] = known[event_id]
            continue
        ms = ms_of[event_id]
        last_seq[ms] = last_seq.get(ms, -1) + 1
        assigned[event_id] = event_key(ms, last_seq[ms])
    return assigned


def _stored(wh: Warehouse, milliseconds: Iterable[int]) -> list[tuple[int, str | None]]:
    """Activities whose id falls in any of these milliseconds (id ranges: the key's index serves)."""
    ranges = [event_key_range(ms) for ms in sorted(milliseconds)]
    if not ranges:
        return []
    # Only integers computed here are spliced in; ORed ranges let PostgreSQL use the primary key.
    where = " OR ".join(f'"id" BETWEEN {int(lo)} AND {int(hi)}' for lo, hi in ranges)
    rows = wh.engine.query(f'SELECT "id", "details" FROM activities WHERE {where}')
    return [(int(r[0]), r[1]) for r in rows]
