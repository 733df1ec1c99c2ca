"""Pure mapping of Kommo events (the audit log) to activities and stage changes.

Every event type fetched becomes one ``activities`` row of a canonical kind; a
``lead_status_changed`` also becomes a ``deal_stage_changes`` row (stages keyed by pipeline and
status, from ``value_before``/``value_after``). ``details`` keeps the event's Kommo id, type and
before/after values as JSON, so the feed can be re-mapped without asking Kommo again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from salesscope.connectors.kommo.ids import stage_key, user_id, utc

EVENT_KINDS: dict[str, str] = {
    "lead_added": "deal_created",
    "lead_status_changed": "stage_change",
    "entity_responsible_changed": "responsible_changed",
    "incoming_call": "call_in",
    "outgoing_call": "call_out",
    "incoming_chat_message": "message_in",
    "outgoing_chat_message": "message_out",
    "incoming_sms": "sms_in",
    "outgoing_sms": "sms_out",
    "incoming_mail": "mail_in",
    "outgoing_mail": "mail_out",
    "common_note_added": "note",
    "task_added": "task_created",
    "task_completed": "task_completed",
    "task_deleted": "task_deleted",
    "lead_deleted": "deal_deleted",
    "lead_restored": "deal_restored",
    "contact_added": "contact_created",
    "contact_deleted": "contact_deleted",
    "contact_restored": "contact_restored",
    "company_added": "contact_created",
    "company_deleted": "contact_deleted",
    "company_restored": "contact_restored",
}
"""Kommo event type → ``activities.kind``; only these types are requested."""

# (table, deleted flag) set by an event on the entity it concerns.
DELETIONS: dict[str, tuple[str, bool]] = {
    "lead_deleted": ("deals", True),
    "lead_restored": ("deals", False),
    "contact_deleted": ("contacts", True),
    "contact_restored": ("contacts", False),
    "company_deleted": ("contacts", True),
    "company_restored": ("contacts", False),
    "task_deleted": ("tasks", True),  # Kommo has no task_restored: a deleted task stays deleted
}


@dataclass(frozen=True)
class EventRows:
    """What one event adds to the warehouse."""

    activity: dict[str, Any]
    stage_change: dict[str, Any] | None
    task_id: int | None
    """For task events: the task, whose deal or contact the activity concerns."""
    deletion: tuple[str, int, bool] | None
    """(table, id, deleted) for deletions and restores of leads, contacts and companies, and
    deletions of tasks."""


def event_rows(event: dict[str, Any], warehouse_id: int) -> EventRows:
    """The rows of one event, given the warehouse id chosen for it (``event_ids``)."""
    kind = EVENT_KINDS[str(event["type"])]
    entity_type = str(event.get("entity_type") or "")
    entity = int(event["entity_id"]) if event.get("entity_id") else None
    at = utc(event["created_at"])
    author = user_id(event.get("created_by"))
    activity = {
        "id": warehouse_id,
        "kind": kind,
        "at": at,
        "author_id": author,
        "deal_id": entity if entity_type == "lead" else None,
        "contact_id": entity if entity_type in ("contact", "company") else None,
        "details": details(event),
    }
    change = None
    if kind == "stage_change" and entity is not None:
        to_stage = _status(event.get("value_after"))
        if to_stage is not None:
            change = {"id": warehouse_id, "deal_id": entity, "from_stage_id": _status(event.get("value_before")),
                      "to_stage_id": to_stage, "at": at, "by_user_id": author}
    flag = DELETIONS.get(str(event["type"]))
    deletion = (flag[0], entity, flag[1]) if flag and entity is not None else None
    task = entity if entity_type == "task" else None
    return EventRows(activity, change, task, deletion)


def details(event: dict[str, Any]) -> str:
    """The event's identity and values as compact JSON (``kommo_event`` comes first)."""
    doc: dict[str, Any] = {"kommo_event": str(event["id"]), "type": event["type"]}
    for key, name in (("value_before", "before"), ("value_after", "after")):
        if event.get(key):
            doc[name] = event[key]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def kommo_event_id(details_text: str | None) -> str | None:
    """The Kommo event id stored in an activity's ``details`` (None for other activities)."""
    if not details_text or not details_text.startswith('{"kommo_event":'):
        return None
    try:
        value = json.loads(details_text).get("kommo_event")
    except json.JSONDecodeError:
        return None
    return str(value) if value else None


def _status(values: Any) -> int | None:
    """The stage key in ``[{"lead_status": {"id": …, "pipeline_id": …}}]``."""
    for value in values or []:
        status = value.get("lead_status") if isinstance(value, dict) else None
        if isinstance(status, dict) and status.get("id") is not None and status.get("pipeline_id") is not None:
            return stage_key(int(status["pipeline_id"]), int(status["id"]))
    return None
