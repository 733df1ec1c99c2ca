"""One page of Kommo records → Arrow tables to upsert (with the page's checkpoint).

The mappings are pure (``map_*``); this module adds the few lookups a page needs in the warehouse:
the ids of events seen before, the deal or contact of a task an event is about, and the current
row of a deal or contact that a deletion marks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from salesscope.connectors.kommo.event_ids import assign_event_ids
from salesscope.connectors.kommo.lookups import rows_with_ids
from salesscope.connectors.kommo.map_events import event_rows
from salesscope.connectors.kommo.map_records import RecordContext, call_row, contact_row, deal_row, task_row
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse


@dataclass(frozen=True)
class LoadContext:
    """What loading a page needs besides the page."""

    wh: Warehouse
    records: RecordContext
    run_started: int
    """The run's start, Unix seconds."""
    overlap_s: int


@dataclass
class PageLoad:
    """A page's rows per table, and what the cursor learns from it."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    max_seen: int | None = None
    latest_deletion: int | None = None
    """When the newest deletion on the page happened (Unix seconds), for deletion passes."""

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.tables.values())


Loader = Callable[[list[dict[str, Any]], LoadContext], PageLoad]


def _newest(items: Iterable[dict[str, Any]], field_name: str) -> int | None:
    values = [int(i[field_name]) for i in items if i.get(field_name)]
    return max(values) if values else None


def load_leads(items: list[dict[str, Any]], ctx: LoadContext) -> PageLoad:
    rows = [deal_row(i, ctx.records) for i in items]
    return PageLoad({"deals": rows_to_arrow("deals", rows)}, _newest(items, "updated_at"))


def load_deleted_leads(items: list[dict[str, Any]], ctx: LoadContext) -> PageLoad:
    """Leads deleted (and still restorable): marks the deals we have; the rest never reached us."""
    flags = {int(i["id"]): True for i in items}
    return PageLoad({"deals": flag_deleted(ctx.wh, "deals", flags)}, None, _newest(items, "updated_at"))


def load_contacts(items: list[dict[str, Any]], ctx: LoadContext) -> PageLoad:
    rows = [contact_row(i, is_company=False) for i in items]
    return PageLoad({"contacts": rows_to_arrow("contacts", rows)}, _newest(items, "updated_at"))


def load_companies(items: list[dict[str, Any]], ctx: LoadContext) -> PageLoad:
    rows = [contact_row(i, is_company=True) for i in items]
    return PageLoad({"contacts": rows_to_arrow("contacts", rows)}, _newest(items, "updated_at"))


def load_tasks(items: list[dict[str, Any]], ctx: LoadContext) -> PageLoad:
    rows = [task_row(i, ctx.records) for i in items]
    return PageLoad({"tasks": rows_to_arrow("tasks", rows)}, _newest(items, "updated_at"))


def call_loader(entity_type: str) -> Loader:
    def load(items: list[dict[str, Any]], ctx: LoadContext) -> PageLoad:
        rows = [r for i in items if (r := call_row(i, entity_type)) is not None]
        return PageLoad({"calls": rows_to_arrow("calls", rows)}, _newest(items, "updated_at"))
    return load


def load_events(items: list[dict[str, Any]], ctx: LoadContext) -> PageLoad:
    """Activities and stage changes; deletions and restores flag the deals, contacts and tasks."""
    ids = assign_event_ids(ctx.wh, items)
    mapped = [event_rows(e, ids[str(e["id"])]) for e in sorted(items, key=lambda e: ids[str(e["id"])])]
    activities = [m.activity for m in mapped]
    task_ids = {m.task_id for m in mapped if m.task_id is not None}
    if task_ids:
        subjects = task_subjects(ctx.wh, task_ids)
        for m in mapped:
            if m.task_id in subjects:
                m.activity["deal_id"], m.activity["contact_id"] = subjects[m.task_id]
    tables = {
        "activities": rows_to_arrow("activities", activities),
        "deal_stage_changes": rows_to_arrow(
            "deal_stage_changes", [m.stage_change for m in mapped if m.stage_change]),
    }
    flags: dict[str, dict[int, bool]] = {}
    for m in mapped:  # in time order: the last deletion or restore of an entity wins
        if m.deletion:
            table, entity, deleted = m.deletion
            flags.setdefault(table, {})[entity] = deleted
    for table, by_id in flags.items():
        tables[table] = flag_deleted(ctx.wh, table, by_id)
    return PageLoad(tables, _newest(items, "created_at"))


LOADERS: dict[str, Loader] = {
    "leads": load_leads,
    "deleted_leads": load_deleted_leads,
    "contacts": load_contacts,
    "companies": load_companies,
    "tasks": load_tasks,
    "leads_calls": call_loader("leads"),
    "contacts_calls": call_loader("contacts"),
    "companies_calls": call_loader("companies"),
    "events": load_events,
}


def flag_deleted(wh: Warehouse, table: str, flags: dict[int, bool]) -> pa.Table:
    """The stored rows of ``table`` with these ids, their ``deleted`` set as given."""
    rows = rows_with_ids(wh, table, flags)
    for row in rows:
        row["deleted"] = flags[int(row["id"])]
    return rows_to_arrow(table, rows)


def task_subjects(wh: Warehouse, task_ids: set[int]) -> dict[int, tuple[int | None, int | None]]:
    """Task id → (deal id, contact id) of the stored tasks among ``task_ids``."""
    listed = ", ".join(str(int(i)) for i in sorted(task_ids))  # integers only
    rows = wh.engine.query(f'SELECT "id", "deal_id", "contact_id" FROM tasks WHERE "id" IN ({listed})')
    return {int(r[0]): (r[1], r[2]) for r in rows}
