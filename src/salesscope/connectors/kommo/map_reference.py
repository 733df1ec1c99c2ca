"""Pure mappings of Kommo's small reference lists: account, teams, users, pipelines, stages.

Each function takes what the API returned (decoded JSON) and returns canonical row dicts; nothing
here does I/O, so each is tested on the recorded samples in ``../shared/kommo/samples``.
"""

from __future__ import annotations

from typing import Any

from salesscope.connectors.kommo.ids import stage_key

WON_STATUS = 142
LOST_STATUS = 143
NO_CURRENCY = "XXX"
"""ISO 4217's code for "no currency", for an account whose answer names none."""


def account_row(account: dict[str, Any], web_root: str | None) -> dict[str, Any]:
    """The ``account`` row; ``web_root`` is the account's web address (``https://SUB.kommo.com``)."""
    settings = _embedded(account).get("datetime_settings") or {}
    subdomain = account.get("subdomain")
    return {
        "id": int(account["id"]),
        "name": str(account.get("name") or subdomain or account["id"]),
        "currency": str(account.get("currency") or NO_CURRENCY),
        "timezone": str(settings.get("timezone") or "UTC"),
        "crm": "kommo",
        "subdomain": subdomain,
        "base_url": web_root,
    }


def team_rows(account: dict[str, Any]) -> list[dict[str, Any]]:
    """Teams from ``users_groups`` (group 0 is Kommo's default "sales department")."""
    return [{"id": int(g["id"]), "name": str(g.get("name") or g["id"])}
            for g in _embedded(account).get("users_groups") or []]


def task_kinds(account: dict[str, Any]) -> dict[int, str]:
    """Task type id → canonical kind: the type's code in lower case (FOLLOW_UP → follow_up),
    else its name as a slug (a custom type "Call" → call)."""
    kinds = {}
    for t in _embedded(account).get("task_types") or []:
        label = t.get("code") or t.get("name") or f"type_{t['id']}"
        kinds[int(t["id"])] = "_".join(str(label).lower().split())
    return kinds


def user_row(user: dict[str, Any]) -> dict[str, Any]:
    """A ``users`` row: the team is ``rights.group_id``, else the group from ``with=group``."""
    rights = user.get("rights") or {}
    embedded = _embedded(user)
    team = rights.get("group_id")
    groups = embedded.get("groups") or []
    if team is None and groups:
        team = groups[0].get("id")
    roles = embedded.get("roles") or []
    role = roles[0].get("name") if roles else ("admin" if rights.get("is_admin") else None)
    return {
        "id": int(user["id"]),
        "name": str(user.get("name") or f"user {user['id']}"),
        "email": user.get("email") or None,
        "team_id": int(team) if team is not None else None,
        "role": role,
        "active": bool(rights.get("is_active", True)),
    }


def pipeline_rows(pipeline: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A ``pipelines`` row and its ``stages`` rows (won = status 142, lost = 143, others open)."""
    pid = int(pipeline["id"])
    row = {
        "id": pid,
        "name": str(pipeline.get("name") or pid),
        "sort": int(pipeline.get("sort") or 0),
        "is_main": bool(pipeline.get("is_main")),
        "archived": bool(pipeline.get("is_archive")),
    }
    stages = [stage_row(pid, s) for s in _embedded(pipeline).get("statuses") or []]
    return row, stages


def stage_row(pipeline_id: int, status: dict[str, Any]) -> dict[str, Any]:
    sid = int(status["id"])
    kind = "won" if sid == WON_STATUS else "lost" if sid == LOST_STATUS else "open"
    return {
        "id": stage_key(pipeline_id, sid),
        "pipeline_id": pipeline_id,
        "crm_id": sid,
        "name": str(status.get("name") or sid),
        "sort": int(status.get("sort") or 0),
        "kind": kind,
    }


def loss_reason_names(reasons: list[dict[str, Any]]) -> dict[int, str]:
    """Loss reason id → name (``/api/v4/leads/loss_reasons``)."""
    return {int(r["id"]): str(r.get("name") or r["id"]) for r in reasons}


def _embedded(item: dict[str, Any]) -> dict[str, Any]:
    embedded = item.get("_embedded")
    return embedded if isinstance(embedded, dict) else {}
