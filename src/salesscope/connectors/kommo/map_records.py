"""Pure mappings of Kommo's records: leads → deals, contacts and companies, tasks, call notes.

UTM values are read from ``custom_fields_values`` by field code (UTM_SOURCE, ...; any case), as
integrations write them; a lead's source is Kommo's own lead source (``with=source``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from salesscope.connectors.kommo.ids import stage_key, user_id, utc

UTM_CODES = {"UTM_SOURCE": "utm_source", "UTM_MEDIUM": "utm_medium",
             "UTM_CAMPAIGN": "utm_campaign", "UTM_CONTENT": "utm_content"}

CALL_NOTE_TYPES = {"call_in": "in", "call_out": "out"}
CALL_STATUSES = {
    1: "voicemail",        # left a voice message
    2: "call_back_later",
    3: "not_available",
    4: "answered",         # conversation took place
    5: "wrong_number",
    6: "missed",           # didn't get through / no answer
    7: "busy",
}
UNKNOWN_CALL_STATUS = "unknown"


@dataclass(frozen=True)
class RecordContext:
    """Account facts the record mappings need: currency, loss reason names, task kinds."""

    currency: str
    loss_reasons: dict[int, str] = field(default_factory=dict)
    task_kinds: dict[int, str] = field(default_factory=dict)


def deal_row(lead: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    """A ``deals`` row from a lead fetched ``with=contacts,loss_reason,source``."""
    embedded = _embedded(lead)
    pipeline = int(lead["pipeline_id"])
    reasons = embedded.get("loss_reason") or []
    reason_id = lead.get("loss_reason_id")
    loss_reason = reasons[0].get("name") if reasons else (
        ctx.loss_reasons.get(int(reason_id)) if reason_id else None)
    source = embedded.get("source") if isinstance(embedded.get("source"), dict) else {}
    return {
        "id": int(lead["id"]),
        "name": lead.get("name") or None,
        "amount": amount(lead),
        "currency": ctx.currency,
        "pipeline_id": pipeline,
        "stage_id": stage_key(pipeline, int(lead["status_id"])),
        "owner_id": user_id(lead.get("responsible_user_id")),
        "contact_id": main_contact(embedded),
        "created_at": utc(lead["created_at"]),
        "updated_at": utc(lead.get("updated_at")),
        "closed_at": utc(lead.get("closed_at")),
        "loss_reason": loss_reason,
        "source": (source or {}).get("name") or None,
        **utm_values(lead.get("custom_fields_values")),
        "tags": [str(t["name"]) for t in embedded.get("tags") or [] if t.get("name")],
        "deleted": bool(lead.get("is_deleted")),
    }


def amount(lead: dict[str, Any]) -> Decimal:
    """The budget: ``price_with_minor_units`` (with kopecks) when given, else ``price``."""
    value = lead.get("price_with_minor_units")
    if value is None:
        value = lead.get("price")
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def main_contact(embedded: dict[str, Any]) -> int | None:
    """The main contact (``is_main``), else the first contact, else the lead's company."""
    contacts = embedded.get("contacts") or []
    main = [c for c in contacts if c.get("is_main")] or contacts
    if main:
        return int(main[0]["id"])
    companies = embedded.get("companies") or []
    return int(companies[0]["id"]) if companies else None


def utm_values(fields: list[dict[str, Any]] | None) -> dict[str, str | None]:
    """utm_source, utm_medium, utm_campaign and utm_content from fields with those codes."""
    out: dict[str, str | None] = dict.fromkeys(UTM_CODES.values())
    for f in fields or []:
        column = UTM_CODES.get(str(f.get("field_code") or "").upper())
        values = f.get("values") or []
        if column and values and values[0].get("value") not in (None, ""):
            out[column] = str(values[0]["value"])
    return out


def contact_row(item: dict[str, Any], is_company: bool) -> dict[str, Any]:
    """A ``contacts`` row from a contact or a company (phone and e-mail by field code)."""
    fields = item.get("custom_fields_values")
    return {
        "id": int(item["id"]),
        "name": item.get("name") or None,
        "is_company": is_company,
        "phone": _first_value(fields, "PHONE"),
        "email": _first_value(fields, "EMAIL"),
        "owner_id": user_id(item.get("responsible_user_id")),
        "created_at": utc(item["created_at"]),
        "updated_at": utc(item.get("updated_at")),
        "deleted": bool(item.get("is_deleted")),
    }


def task_row(task: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    """A ``tasks`` row. Kommo has no completion time: a done task's ``updated_at`` stands for it."""
    entity_type = task.get("entity_type") or ""
    entity = int(task["entity_id"]) if task.get("entity_id") else None
    result = task.get("result")
    done = bool(task.get("is_completed"))
    type_id = task.get("task_type_id")
    return {
        "id": int(task["id"]),
        "kind": ctx.task_kinds.get(int(type_id), f"type_{type_id}") if type_id else "task",
        "text": task.get("text") or None,
        "created_at": utc(task["created_at"]),
        "due_at": utc(task.get("complete_till")),
        "completed_at": utc(task.get("updated_at")) if done else None,
        "result": result.get("text") if isinstance(result, dict) else None,
        "owner_id": user_id(task.get("responsible_user_id")),
        "created_by": user_id(task.get("created_by")),
        "deal_id": entity if entity_type == "leads" else None,
        "contact_id": entity if entity_type in ("contacts", "companies") else None,
        "deleted": False,
    }


def call_row(note: dict[str, Any], entity_type: str) -> dict[str, Any] | None:
    """A ``calls`` row from a ``call_in``/``call_out`` note of a lead, contact or company."""
    direction = CALL_NOTE_TYPES.get(str(note.get("note_type")))
    if direction is None:
        return None
    params = note.get("params") or {}
    status = _int(params.get("call_status"))
    entity = int(note["entity_id"]) if note.get("entity_id") else None
    author = user_id(params.get("call_responsible")) or user_id(note.get("responsible_user_id"))
    return {
        "id": int(note["id"]),
        "direction": direction,
        "duration_s": _int(params.get("duration")) or 0,
        "status": CALL_STATUSES.get(status or 0, UNKNOWN_CALL_STATUS),
        "recording_url": params.get("link") or None,
        "at": utc(note["created_at"]),
        "author_id": author or user_id(note.get("created_by")),
        "deal_id": entity if entity_type == "leads" else None,
        "contact_id": entity if entity_type in ("contacts", "companies") else None,
        "phone": str(params["phone"]) if params.get("phone") else None,
    }


def _first_value(fields: list[dict[str, Any]] | None, code: str) -> str | None:
    for f in fields or []:
        if str(f.get("field_code") or "").upper() == code:
            for v in f.get("values") or []:
                if v.get("value"):
                    return str(v["value"])
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _embedded(item: dict[str, Any]) -> dict[str, Any]:
    embedded = item.get("_embedded")
    return embedded if isinstance(embedded, dict) else {}
