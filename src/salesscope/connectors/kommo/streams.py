"""The endpoints a sync reads, as data: path, list key, filters, page size, cursor field.

A stream is one or more passes sharing one cursor: deals come from the leads list and from the
list of deleted leads; contacts from contacts and companies; calls from the call notes of leads,
contacts and companies. Lists of changing records are read in id order from ``since`` with no
upper bound, so a record changed mid-sync can only be added to the set (and is read again by the
next sync), never pushed off a page already read. Events never change: their window is closed at
the moment the run started, so paging through it is stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from salesscope.connectors.kommo.client import link
from salesscope.connectors.kommo.map_events import EVENT_KINDS

PAGE = 250
"""Kommo's maximum page size for leads, contacts, companies, tasks and notes."""
EVENTS_PAGE = 100
"""The events maximum (a larger limit silently falls back to 50 per page)."""

CALL_NOTES = (("filter[note_type][]", "call_in"), ("filter[note_type][]", "call_out"))


@dataclass(frozen=True)
class Pass:
    """One paged list request of a stream."""

    key: str
    path: str
    items_key: str
    params: tuple[tuple[str, str], ...]
    cursor_field: str
    """updated_at or created_at: the field ``since`` filters on."""
    limit: int = PAGE
    closed_window: bool = False
    """Whether the window ends at the run's start (events) or stays open (changing records)."""

    def first_link(self, since: int | None, run_started: int) -> str:
        params: list[tuple[str, str | int]] = [*self.params, ("limit", self.limit)]
        if since is not None:
            params.append((f"filter[{self.cursor_field}][from]", since))
        if self.closed_window:
            params.append((f"filter[{self.cursor_field}][to]", run_started))
        return link(self.path, params)


@dataclass(frozen=True)
class Stream:
    """Passes that share a cursor; each page of each pass is one checkpoint."""

    name: str
    label: str
    passes: tuple[Pass, ...]


ORDER_BY_ID = ("order[id]", "asc")

STREAMS: tuple[Stream, ...] = (
    Stream("leads", "Leads", (
        Pass("leads", "/api/v4/leads", "leads",
             (("with", "contacts,loss_reason,source"), ORDER_BY_ID), "updated_at"),
        Pass("deleted_leads", "/api/v4/leads", "leads", (("with", "only_deleted"), ORDER_BY_ID),
             "updated_at"),
    )),
    Stream("contacts", "Contacts", (
        Pass("contacts", "/api/v4/contacts", "contacts", (ORDER_BY_ID,), "updated_at"),
        Pass("companies", "/api/v4/companies", "companies", (ORDER_BY_ID,), "updated_at"),
    )),
    Stream("tasks", "Tasks", (
        Pass("tasks", "/api/v4/tasks", "tasks", (ORDER_BY_ID,), "updated_at"),
    )),
    Stream("calls", "Calls", tuple(
        Pass(f"{entity}_calls", f"/api/v4/{entity}/notes", "notes", (*CALL_NOTES, ORDER_BY_ID), "updated_at")
        for entity in ("leads", "contacts", "companies")
    )),
    Stream("events", "Events", (
        Pass("events", "/api/v4/events", "events", (("filter[type]", ",".join(EVENT_KINDS)),),
             "created_at", EVENTS_PAGE, closed_window=True),
    )),
)
