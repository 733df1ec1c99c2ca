"""Kommo's webhook body: form-encoded, legacy v2 field names, every value a string.

``leads[status][0][id]=10701093&...&account[subdomain]=apfitness`` becomes nested dicts, then a
``ChangeNotice``: which leads, contacts, companies and tasks changed (companies arrive under
``contacts`` with ``type=company``; a task names its lead by ``element_id`` with
``element_type=2``). Anything that is not such a body raises ``WebhookFormError`` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY = 1_000_000
MAX_FIELDS = 20_000
MAX_DEPTH = 8
ENTITY_ROOTS = ("leads", "contacts", "task", "unsorted", "message", "talk", "catalogs", "customers")
"""Top-level keys Kommo sends besides ``account``; a body with none of them is not a webhook."""
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
LEAD_ELEMENT = "2"


class WebhookFormError(ValueError):
    """The body is not a Kommo webhook; the message says why."""


@dataclass
class ChangeNotice:
    """What a webhook (or several, merged) says changed in the account."""

    leads: set[int] = field(default_factory=set)
    deleted_leads: set[int] = field(default_factory=set)
    contacts: set[int] = field(default_factory=set)
    companies: set[int] = field(default_factory=set)
    tasks: set[int] = field(default_factory=set)
    subdomain: str | None = None

    def merge(self, other: ChangeNotice) -> None:
        self.leads |= other.leads
        self.deleted_leads |= other.deleted_leads
        self.contacts |= other.contacts
        self.companies |= other.companies
        self.tasks |= other.tasks
        self.subdomain = self.subdomain or other.subdomain

    def empty(self) -> bool:
        return not (self.leads or self.deleted_leads or self.contacts or self.companies or self.tasks)

    def counts(self) -> dict[str, int]:
        return {"leads": len(self.leads), "deleted_leads": len(self.deleted_leads),
                "contacts": len(self.contacts), "companies": len(self.companies), "tasks": len(self.tasks)}


def parse_form(body: bytes) -> dict[str, Any]:
    """The body's bracketed keys as nested dicts (list indices stay string keys)."""
    if len(body) > MAX_BODY:
        raise WebhookFormError(f"body of {len(body)} bytes is larger than {MAX_BODY}")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise WebhookFormError("body is not UTF-8") from None
    except ValueError as exc:
        raise WebhookFormError(f"body is not form-encoded ({exc})") from None
    tree: dict[str, Any] = {}
    for key, value in pairs:
        _put(tree, _path(key), value, key)
    return tree


def _path(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        raise WebhookFormError(f"malformed field name {key[:80]!r}")
    path = [match[1], *_SEGMENT.findall(match[2])]
    if len(path) > MAX_DEPTH or any(part == "" for part in path):
        raise WebhookFormError(f"malformed field name {key[:80]!r}")
    return path


def _put(tree: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise WebhookFormError(f"field {key[:80]!r} conflicts with a value given before")
        node = child
    if path[-1] in node:
        raise WebhookFormError(f"field {key[:80]!r} given twice or conflicting")
    node[path[-1]] = value


def notice_from_form(tree: dict[str, Any]) -> ChangeNotice:
    """The leads, contacts, companies and tasks a parsed webhook (or its decoded JSON) names."""
    if not any(root in tree for root in ENTITY_ROOTS):
        raise WebhookFormError(f"no entity section; expected one of: {', '.join(ENTITY_ROOTS)}")
    notice = ChangeNotice()
    account = tree.get("account")
    if isinstance(account, dict) and isinstance(account.get("subdomain"), str):
        notice.subdomain = account["subdomain"]
    for action, item in _items(tree, "leads"):
        target = notice.deleted_leads if action == "delete" else notice.leads
        target.add(_id(item, "leads", action))
    for action, item in _items(tree, "contacts"):
        target = notice.companies if item.get("type") == "company" else notice.contacts
        target.add(_id(item, "contacts", action))
    for action, item in _items(tree, "task"):
        notice.tasks.add(_id(item, "task", action))
        if item.get("element_type") == LEAD_ELEMENT and str(item.get("element_id", "")).isdigit():
            notice.leads.add(int(item["element_id"]))
    return notice


def _items(tree: dict[str, Any], root: str) -> list[tuple[str, dict[str, Any]]]:
    """(action, item) pairs of ``root[action][n][...]``."""
    section = tree.get(root)
    if section is None:
        return []
    if not isinstance(section, dict):
        raise WebhookFormError(f"{root} is a value, expected {root}[action][n][field]")
    out = []
    for action, items in section.items():
        # The form gives {"0": {...}}; the decoded JSON of Kommo's docs gives [{...}].
        records = list(items.values()) if isinstance(items, dict) else items
        if not isinstance(records, list) or not all(isinstance(i, dict) for i in records):
            raise WebhookFormError(f"{root}[{action}] is not a list of records")
        out += [(action, item) for item in records]
    return out


def _id(item: dict[str, Any], root: str, action: str) -> int:
    """The record's id: ``id``, or for a note the ``element_id`` of the note's record."""
    value = item.get("id")
    note = item.get("note")
    if value is None and isinstance(note, dict):
        value = note.get("element_id")
    if not isinstance(value, str) or not value.isdigit():
        raise WebhookFormError(f"{root}[{action}] record without a numeric id")
    return int(value)
