"""A targeted incremental fetch: only the records a webhook named, and their leads' new events.

Webhooks say *what* changed, in Kommo's legacy field names; the canonical rows come from the API
as in a sync (same mappings, same upserts, same event ids), so a record fetched here and again by
the next scheduled sync ends the same. Cursors are left alone: the scheduled sync still reads its
whole window. Changes arrive in the reports as soon as this returns (derived tables rebuilt).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from salesscope.connectors.kommo import state as st
from salesscope.connectors.kommo.client import KommoClient, link
from salesscope.connectors.kommo.ids import unix
from salesscope.connectors.kommo.load import LOADERS, LoadContext, flag_deleted
from salesscope.connectors.kommo.map_events import EVENT_KINDS
from salesscope.connectors.kommo.reference import check_same_account, collect, fetch_reference
from salesscope.connectors.kommo.sync import DEFAULT_OVERLAP_S, utc_now
from salesscope.connectors.kommo.webhook_form import ChangeNotice
from salesscope.warehouse.store import Warehouse

IDS_PER_REQUEST = 50
EVENT_ENTITIES_PER_REQUEST = 10
"""Kommo takes at most 10 ids in ``filter[entity_id]`` (with exactly one ``filter[entity]``)."""
FIRST_LOOK_BACK_S = 86_400
"""Events window when no sync has run yet."""


def fetch_changes(wh: Warehouse, client: KommoClient, notice: ChangeNotice,
                  overlap_s: int = DEFAULT_OVERLAP_S) -> dict[str, int]:
    """Fetch and load what ``notice`` names; returns rows written per table."""
    reference = fetch_reference(client)
    check_same_account(wh, reference.account)
    wh.upsert(reference.tables(None))
    now = unix(utc_now())
    ctx = LoadContext(wh, reference.context(), now, overlap_s)
    written: dict[str, int] = {}

    def load(key: str, items: list[dict[str, Any]]) -> None:
        page = LOADERS[key](items, ctx)
        wh.upsert(page.tables)
        for name, table in page.tables.items():
            written[name] = written.get(name, 0) + table.num_rows

    lead_params: list[tuple[str, str | int]] = [("with", "contacts,loss_reason,source")]
    requests: tuple[tuple[str, str, str, set[int], list[tuple[str, str | int]]], ...] = (
        ("leads", "/api/v4/leads", "leads", notice.leads, lead_params),
        ("contacts", "/api/v4/contacts", "contacts", notice.contacts, []),
        ("companies", "/api/v4/companies", "companies", notice.companies, []),
        ("tasks", "/api/v4/tasks", "tasks", notice.tasks, []),
    )
    for key, path, items_key, ids, extra in requests:
        for chunk in _chunks(sorted(ids), IDS_PER_REQUEST):
            params: list[tuple[str, str | int]] = [*extra, *[("filter[id][]", i) for i in chunk], ("limit", 250)]
            load(key, collect(client, link(path, params), items_key))
    if notice.deleted_leads:
        wh.upsert({"deals": flag_deleted(wh, "deals", dict.fromkeys(notice.deleted_leads, True))})
    since = _events_since(wh, now)
    for chunk in _chunks(sorted(notice.leads | notice.deleted_leads), EVENT_ENTITIES_PER_REQUEST):
        params = [("filter[entity]", "lead"), *[("filter[entity_id][]", i) for i in chunk],
                  ("filter[type]", ",".join(EVENT_KINDS)), ("filter[created_at][from]", since),
                  ("limit", 100)]
        load("events", collect(client, link("/api/v4/events", params), "events"))
    wh.refresh_derived()
    return written


def _events_since(wh: Warehouse, now: int) -> int:
    """Where the events stream stands (its last window's start), else a day ago."""
    events = st.read(wh).streams.get("events")
    return events.since if events and events.since is not None else now - FIRST_LOOK_BACK_S


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


class WebhookInbox:
    """Notices received but not fetched yet, merged: a burst of webhooks becomes one fetch."""

    def __init__(self) -> None:
        self._pending = ChangeNotice()
        self._lock = threading.Lock()
        self._arrived = threading.Event()

    def put(self, notice: ChangeNotice) -> None:
        """Called by the webhook endpoint: instant, never does I/O."""
        with self._lock:
            self._pending.merge(notice)
            self._arrived.set()

    def take(self) -> ChangeNotice | None:
        """Everything pending (None when nothing is), leaving the inbox empty."""
        with self._lock:
            pending, self._pending = self._pending, ChangeNotice()
            self._arrived.clear()
        return None if pending.empty() else pending

    def wait(self, timeout_s: float) -> bool:
        """Block until a notice arrives (True) or the timeout passes (False)."""
        return self._arrived.wait(timeout_s)
