"""Kommo-shaped records (leads, contacts, tasks, call notes, events) from demo tables."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from kommo.fake_account import (
    ACCOUNT_ID,
    CALL_STATUS,
    CONTACT_CALL_EVERY,
    SUBDOMAIN,
    TASK_TYPES,
    UTM_FIELDS,
    KommoAccount,
    ts,
    ulid,
)

HOST = f"https://{SUBDOMAIN}.kommo.com"


def build_records(truth: dict[str, pa.Table]) -> KommoAccount:
    rows = {name: t.to_pylist() for name, t in truth.items()}
    teams = {t["id"]: t["name"] for t in rows["teams"]}
    stages = {s["id"]: s for s in rows["stages"]}
    reasons = sorted({d["loss_reason"] for d in rows["deals"] if d["loss_reason"]})
    reason_ids = {name: 5001 + i for i, name in enumerate(reasons)}
    sources = sorted({d["source"] for d in rows["deals"] if d["source"]})
    source_ids = {name: 7001 + i for i, name in enumerate(sources)}
    tags = sorted({t for d in rows["deals"] for t in d["tags"]})
    tag_ids = {name: 9001 + i for i, name in enumerate(tags)}
    contacts = {c["id"]: c for c in rows["contacts"]}
    group_of = {u["id"]: u["team_id"] or 0 for u in rows["users"]}
    end = max(ts(a["at"]) or 0 for a in rows["activities"])
    deleted = {d["id"]: min(end, (ts(d["updated_at"]) or 0) + 3600) for d in rows["deals"] if d["deleted"]}

    account = _account(rows["account"][0], teams)
    leads = {d["id"]: _lead(d, stages, reason_ids, source_ids, tag_ids, contacts, group_of)
             for d in rows["deals"] if not d["deleted"]}
    people = {c["id"]: _contact(c, group_of) for c in rows["contacts"] if not c["is_company"]}
    companies = {c["id"]: _contact(c, group_of) for c in rows["contacts"] if c["is_company"]}
    tasks = {t["id"]: _task(t, group_of) for t in rows["tasks"]}
    notes: dict[str, dict[int, dict[str, Any]]] = {"leads": {}, "contacts": {}, "companies": {}}
    for call in rows["calls"]:
        entity_type, note = _call_note(call, contacts, group_of)
        notes[entity_type][note["id"]] = note
    events = _events(rows, stages, notes, deleted, contacts)
    return KommoAccount(
        account=account,
        users=[_user(u, teams) for u in rows["users"]],
        pipelines=_pipelines(rows["pipelines"], rows["stages"]),
        loss_reasons=[{"id": i, "name": n, "sort": 100 * (i - 5000), "created_at": 1_700_000_000,
                       "updated_at": 1_700_000_000} for n, i in reason_ids.items()],
        leads=leads, deleted_leads=deleted, contacts=people, companies=companies, tasks=tasks,
        notes=notes, events={e["id"]: e for e in events}, truth=truth,
    )


def _account(demo: dict[str, Any], teams: dict[int, str]) -> dict[str, Any]:
    groups = [{"id": 0, "name": "Отдел продаж", "uuid": None}]
    groups += [{"id": i, "name": n, "uuid": None} for i, n in sorted(teams.items())]
    return {
        "id": ACCOUNT_ID, "name": "Київ Продажі", "subdomain": SUBDOMAIN, "currency": demo["currency"],
        "currency_symbol": "₴", "country": "UA", "created_at": 1_700_000_000, "created_by": 100,
        "current_user_id": 100, "customers_mode": "disabled", "is_unsorted_on": True,
        "is_loss_reason_enabled": True, "is_helpbot_enabled": False, "is_technical_account": False,
        "contact_name_display_order": 1, "_links": {"self": {"href": f"{HOST}/api/v4/account"}},
        "_embedded": {
            "users_groups": groups,
            "task_types": [{"id": i, "name": n, "color": None, "icon_id": None, "code": c}
                           for i, n, c in TASK_TYPES.values()],
            "datetime_settings": {"date_pattern": "d.m.Y H:i", "timezone": demo["timezone"],
                                  "timezone_offset": "+03:00"},
        },
    }


def _user(u: dict[str, Any], teams: dict[int, str]) -> dict[str, Any]:
    rights = {"leads": {"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"},
              "mail_access": False, "catalog_access": False, "status_rights": None,
              "is_admin": u["role"] == "head", "is_free": False, "is_active": u["active"],
              "group_id": u["team_id"], "role_id": 1 if u["role"] == "manager" else 2}
    groups = [{"id": u["team_id"], "name": teams[u["team_id"]]}] if u["team_id"] else []
    return {"id": u["id"], "name": u["name"], "email": u["email"], "lang": "en", "rights": rights,
            "_links": {"self": {"href": f"{HOST}/api/v4/users/{u['id']}"}},
            "_embedded": {"roles": [{"id": rights["role_id"], "name": u["role"]}], "groups": groups}}


def _pipelines(pipelines: list[dict[str, Any]], stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in pipelines:
        statuses = [{"id": s["crm_id"], "name": s["name"], "sort": s["sort"], "is_editable": s["kind"] == "open",
                     "pipeline_id": p["id"], "color": "#99ccff", "type": 0, "account_id": ACCOUNT_ID}
                    for s in stages if s["pipeline_id"] == p["id"]]
        out.append({"id": p["id"], "name": p["name"], "sort": p["sort"], "is_main": p["is_main"],
                    "is_unsorted_on": True, "is_archive": p["archived"], "account_id": ACCOUNT_ID,
                    "_links": {"self": {"href": f"{HOST}/api/v4/leads/pipelines/{p['id']}"}},
                    "_embedded": {"statuses": statuses}})
    return out


def _lead(d: dict[str, Any], stages: dict[int, dict[str, Any]], reasons: dict[str, int], sources: dict[str, int],
          tags: dict[str, int], contacts: dict[int, dict[str, Any]], group_of: dict[int, int]) -> dict[str, Any]:
    contact = contacts.get(d["contact_id"])
    fields = [{"field_id": fid, "field_name": code.lower(), "field_code": code, "field_type": "tracking_data",
               "values": [{"value": d[col]}]} for col, (fid, code) in UTM_FIELDS.items() if d[col]]
    fields.append({"field_id": 800100, "field_name": "Продукт", "field_code": None, "field_type": "select",
                   "values": [{"value": "Послуга", "enum_id": 501, "enum_code": None}]})
    reason = reasons.get(d["loss_reason"]) if d["loss_reason"] else None
    return {
        "id": d["id"], "name": d["name"], "price": int(d["amount"]), "responsible_user_id": d["owner_id"],
        "group_id": group_of.get(d["owner_id"], 0), "status_id": stages[d["stage_id"]]["crm_id"],
        "pipeline_id": d["pipeline_id"], "loss_reason_id": reason,
        "created_by": 0, "updated_by": d["owner_id"], "created_at": ts(d["created_at"]),
        "updated_at": ts(d["updated_at"]), "closed_at": ts(d["closed_at"]), "closest_task_at": None,
        "is_deleted": False, "custom_fields_values": fields, "score": None, "account_id": ACCOUNT_ID,
        "labor_cost": None, "_links": {"self": {"href": f"{HOST}/api/v4/leads/{d['id']}"}},
        "_embedded": {
            "tags": [{"id": tags[t], "name": t, "color": None} for t in d["tags"]],
            "companies": [{"id": contact["id"]}] if contact and contact["is_company"] else [],
            "contacts": [{"id": contact["id"], "is_main": True}] if contact and not contact["is_company"] else [],
            "loss_reason": [{"id": reason, "name": d["loss_reason"], "sort": 100}] if reason else [],
            "source": {"id": sources[d["source"]], "name": d["source"]} if d["source"] else None,
        },
    }


def _contact(c: dict[str, Any], group_of: dict[int, int]) -> dict[str, Any]:
    fields = []
    if c["phone"]:
        fields.append({"field_id": 600001, "field_name": "Телефон", "field_code": "PHONE", "field_type": "multitext",
                       "values": [{"value": c["phone"], "enum_id": 1, "enum_code": "WORK"}]})
    if c["email"]:
        fields.append({"field_id": 600002, "field_name": "Email", "field_code": "EMAIL", "field_type": "multitext",
                       "values": [{"value": c["email"], "enum_id": 3, "enum_code": "WORK"}]})
    first, _, last = (c["name"] or "").partition(" ")
    return {"id": c["id"], "name": c["name"], "first_name": first, "last_name": last,
            "responsible_user_id": c["owner_id"], "group_id": group_of.get(c["owner_id"], 0), "created_by": 0,
            "updated_by": 0, "created_at": ts(c["created_at"]), "updated_at": ts(c["updated_at"]),
            "closest_task_at": None, "is_deleted": False, "custom_fields_values": fields or None,
            "account_id": ACCOUNT_ID, "_embedded": {"tags": [], "companies": []}}


def _task(t: dict[str, Any], group_of: dict[int, int]) -> dict[str, Any]:
    done = t["completed_at"] is not None
    return {"id": t["id"], "created_by": t["created_by"] or 0, "updated_by": t["owner_id"],
            "created_at": ts(t["created_at"]), "updated_at": ts(t["completed_at"] or t["created_at"]),
            "responsible_user_id": t["owner_id"], "group_id": group_of.get(t["owner_id"], 0),
            "entity_id": t["deal_id"], "entity_type": "leads", "duration": 0, "is_completed": done,
            "task_type_id": TASK_TYPES[t["kind"]][0], "text": t["text"],
            "result": {"text": t["result"]} if t["result"] else [], "complete_till": ts(t["due_at"]),
            "account_id": ACCOUNT_ID}


def _call_note(call: dict[str, Any], contacts: dict[int, dict[str, Any]],
               group_of: dict[int, int]) -> tuple[str, dict[str, Any]]:
    on_contact = call["id"] % CONTACT_CALL_EVERY == 0 and call["contact_id"] in contacts
    entity_type = ("companies" if contacts[call["contact_id"]]["is_company"] else "contacts") if on_contact else "leads"
    at = ts(call["at"])
    params = {"uniq": f"call-{call['id']}", "duration": call["duration_s"], "source": "Binotel",
              "link": call["recording_url"], "phone": call["phone"], "call_status": CALL_STATUS[call["status"]],
              "call_result": call["status"], "call_responsible": call["author_id"]}
    return entity_type, {
        "id": call["id"], "entity_id": call["contact_id"] if on_contact else call["deal_id"],
        "created_by": call["author_id"], "updated_by": call["author_id"], "created_at": at, "updated_at": at,
        "responsible_user_id": call["author_id"], "group_id": group_of.get(call["author_id"], 0),
        "note_type": f"call_{call['direction']}", "params": params, "account_id": ACCOUNT_ID}


def _events(rows: dict[str, list[dict[str, Any]]], stages: dict[int, dict[str, Any]],
            notes: dict[str, dict[int, dict[str, Any]]], deleted: dict[int, int],
            contacts: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(kind: str, salt: str, at: int, by: int | None, entity_type: str, entity: int,
            before: list[Any] | None = None, after: list[Any] | None = None) -> None:
        out.append(event(kind, ulid(at * 1000, salt), at, by, entity_type, entity, before, after))

    for a in rows["activities"]:
        at, by, deal = ts(a["at"]) or 0, a["author_id"], a["deal_id"]
        if a["kind"] == "deal_created" and deal:
            add("lead_added", f"a{a['id']}", at, by, "lead", deal)
        elif a["kind"] in ("message_in", "message_out") and deal:
            kind = "incoming_chat_message" if a["kind"] == "message_in" else "outgoing_chat_message"
            add(kind, f"a{a['id']}", at, by, "lead", deal, after=[{"message": {"id": f"m-{a['id']}"}}])
        elif a["kind"] == "note" and deal:
            add("common_note_added", f"a{a['id']}", at, by, "lead", deal, after=[{"note": {"id": a["id"]}}])
    for c in rows["deal_stage_changes"]:
        src, dst = stages[c["from_stage_id"]], stages[c["to_stage_id"]]
        add("lead_status_changed", f"c{c['id']}", ts(c["at"]) or 0, c["by_user_id"], "lead", c["deal_id"],
            [{"lead_status": {"id": src["crm_id"], "pipeline_id": src["pipeline_id"]}}],
            [{"lead_status": {"id": dst["crm_id"], "pipeline_id": dst["pipeline_id"]}}])
    for entity_type, by_id in notes.items():
        single = {"leads": "lead", "contacts": "contact", "companies": "company"}[entity_type]
        for n in by_id.values():
            kind = "incoming_call" if n["note_type"] == "call_in" else "outgoing_call"
            add(kind, f"n{n['id']}", n["created_at"], n["created_by"], single, n["entity_id"],
                after=[{"note": {"id": n["id"]}}])
    for t in rows["tasks"]:
        add("task_added", f"t{t['id']}", ts(t["created_at"]) or 0, t["created_by"], "task", t["id"])
        if t["completed_at"]:
            add("task_completed", f"d{t['id']}", ts(t["completed_at"]) or 0, t["owner_id"], "task", t["id"])
    owners = {d["id"]: d["owner_id"] for d in rows["deals"]}
    for lead_id, at in deleted.items():
        add("lead_deleted", f"x{lead_id}", at, owners[lead_id], "lead", lead_id)
    return out


def event(kind: str, event_id: str, at: int, by: int | None, entity_type: str, entity: int,
          before: list[Any] | None = None, after: list[Any] | None = None) -> dict[str, Any]:
    """One event as ``GET /api/v4/events`` shows it."""
    plural = {"lead": "leads", "contact": "contacts", "company": "companies", "task": "tasks"}[entity_type]
    return {"id": event_id, "type": kind, "entity_id": entity, "entity_type": entity_type,
            "created_by": by or 0, "created_at": at, "value_after": after or [], "value_before": before or [],
            "account_id": ACCOUNT_ID, "_links": {"self": {"href": f"{HOST}/api/v4/events/{event_id}"}},
            "_embedded": {"entity": {"id": entity, "_links": {"self": {"href": f"{HOST}/api/v4/{plural}/{entity}"}}}}}

