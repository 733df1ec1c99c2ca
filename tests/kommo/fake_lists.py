"""The fake's list endpoints: Kommo's filters, orders, page sizes and HAL pages, as pure functions.

Quirks reproduced (API.md §2.1, §3): ``limit`` above the maximum silently falls back to 50; an
empty page is ``204`` with no body; ``_links.next`` only while more items follow (optionally on
pages shorter than the limit, so "short page means last" is wrong); events come newest first;
deleted leads are hidden unless ``with=only_deleted``, which shows only id, date and the flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

Query = list[tuple[str, str]]

DEFAULT_LIMIT = 50
_INDEXED = re.compile(r"\[\d*\]$")
EMBED_ONLY_WITH = {"contacts": "contacts", "loss_reason": "loss_reason", "source": "source"}


@dataclass(frozen=True)
class ListSpec:
    items_key: str
    max_limit: int = 250
    default_order: tuple[str, str] = ("id", "asc")


def values(query: Query, *keys: str) -> list[str]:
    """Every value of any of ``keys`` (repeated keys, ``[]`` and ``[0]`` forms, comma lists)."""
    out: list[str] = []
    for k, v in query:
        if _INDEXED.sub("", k) in keys:
            out += [part for part in v.split(",") if part != ""]
    return out


def one(query: Query, key: str) -> str | None:
    found = [v for k, v in query if k == key]
    return found[-1] if found else None


def filtered(items: list[dict[str, Any]], query: Query, spec: ListSpec) -> list[dict[str, Any]]:
    """Items passing the query's filters, in the query's order (or the list's default)."""
    keep: list[Callable[[dict[str, Any]], bool]] = []
    for fieldname in ("updated_at", "created_at"):
        lo, hi = one(query, f"filter[{fieldname}][from]"), one(query, f"filter[{fieldname}][to]")
        single = one(query, f"filter[{fieldname}]")
        if single is not None:
            lo = single
        if lo is not None:
            keep.append(lambda i, f=fieldname, v=int(lo): (i.get(f) or 0) >= v)
        if hi is not None:
            keep.append(lambda i, f=fieldname, v=int(hi): (i.get(f) or 0) <= v)
    ids = {int(v) for v in values(query, "filter[id]")}
    if ids:
        keep.append(lambda i: int(i["id"]) in ids if str(i["id"]).isdigit() else i["id"] in ids)
    note_types = set(values(query, "filter[note_type]"))
    if note_types:
        keep.append(lambda i: i.get("note_type") in note_types)
    entity_ids = {int(v) for v in values(query, "filter[entity_id]")}
    if entity_ids:
        keep.append(lambda i: int(i.get("entity_id") or 0) in entity_ids)
    types = set(values(query, "filter[type]"))
    if types:
        keep.append(lambda i: i.get("type") in types)
    entities = set(values(query, "filter[entity]"))
    if entities:
        keep.append(lambda i: i.get("entity_type") in entities)
    chosen = [i for i in items if all(test(i) for test in keep)]
    field_name, direction = spec.default_order
    for k, v in query:
        if k.startswith("order[") and k.endswith("]"):
            field_name, direction = k[6:-1], v
    chosen.sort(key=lambda i: (i.get(field_name) or 0, str(i["id"])), reverse=direction == "desc")
    return chosen


@dataclass(frozen=True)
class PageAnswer:
    status: int
    body: dict[str, Any] | None


def page(items: list[dict[str, Any]], query: Query, spec: ListSpec, host: str, path: str,
         short_pages: bool = False, shape: Callable[[dict[str, Any]], dict[str, Any]] = dict) -> PageAnswer:
    """One HAL page of ``items`` (already filtered and ordered)."""
    limit = int(one(query, "limit") or DEFAULT_LIMIT)
    if limit > spec.max_limit or limit < 1:
        limit = DEFAULT_LIMIT
    number = max(1, int(one(query, "page") or 1))
    start = _offset(number, limit, short_pages)
    size = _size(number, limit, short_pages)
    chosen = items[start:start + size]
    if not chosen:
        return PageAnswer(204, None)
    rest = [(k, v) for k, v in query if k != "page"]
    links: dict[str, Any] = {"self": {"href": _href(host, path, rest, number)}}
    if start + size < len(items):
        links["next"] = {"href": _href(host, path, rest, number + 1)}
    if number > 1:
        links["first"] = {"href": _href(host, path, rest, 1)}
        links["prev"] = {"href": _href(host, path, rest, number - 1)}
    return PageAnswer(200, {"_page": number, "_links": links,
                            "_embedded": {spec.items_key: [shape(i) for i in chosen]}})


def _size(number: int, limit: int, short_pages: bool) -> int:
    """Every even page one item short when ``short_pages`` (e.g. items hidden by rights)."""
    return limit - 1 if short_pages and number % 2 == 0 and limit > 1 else limit


def _offset(number: int, limit: int, short_pages: bool) -> int:
    return sum(_size(n, limit, short_pages) for n in range(1, number))


def _href(host: str, path: str, query: Query, number: int) -> str:
    return f"{host}{path}?{urlencode([*query, ('page', str(number))], safe='[],')}"


def lead_shape(query: Query) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Leads as ``with=`` asks: contacts, loss_reason and source only when requested."""
    wanted = set(values(query, "with"))

    def shape(lead: dict[str, Any]) -> dict[str, Any]:
        if "_embedded" not in lead:  # a deleted lead: id, date and flag only
            return dict(lead)
        embedded = dict(lead["_embedded"])
        for key, flag in EMBED_ONLY_WITH.items():
            if flag not in wanted:
                embedded.pop(key, None)
        if embedded.get("source") is None:
            embedded.pop("source", None)
        out = dict(lead, _embedded=embedded)
        if "source_id" in wanted:
            out["source_id"] = (lead["_embedded"].get("source") or {}).get("id")
        return out

    return shape
