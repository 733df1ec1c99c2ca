"""A deterministic Kommo account for the fake server, built from the demo generator's tables.

The demo account (``salesscope.demo.generate``) is the truth; this module writes it back the
way Kommo would serve it: leads with embedded contacts, tags, loss reasons, sources and UTM fields
by code; call notes with ``params``; the audit log as events with ULID ids; statuses 142/143 in
every pipeline; deleted leads only visible through ``with=only_deleted`` and ``lead_deleted``
events. ``every`` keeps one deal in N (with everything that belongs to it) so tests stay fast;
``copies`` stacks several demo seeds (ids shifted) for the ~50k-lead benchmark account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from salesscope.demo.generate import generate

ACCOUNT_ID = 29_001_234
SUBDOMAIN = "kyivsales"
TODAY = dt.date(2026, 6, 15)
ID_SHIFT = 1_000_000
"""Added to every id of the demo copy number k (times k), so stacked copies never collide."""
TASK_TYPES = {"follow_up": (1, "Follow-up", "FOLLOW_UP"), "meeting": (2, "Meeting", "MEETING"),
              "call": (3, "Call", None)}
CALL_STATUS = {"answered": 4, "missed": 6, "busy": 7, "voicemail": 1}
UTM_FIELDS = {"utm_source": (800001, "UTM_SOURCE"), "utm_medium": (800002, "UTM_MEDIUM"),
              "utm_campaign": (800003, "UTM_CAMPAIGN"), "utm_content": (800004, "UTM_CONTENT")}
CONTACT_CALL_EVERY = 10
"""Every 10th call is logged on the deal's contact rather than on the deal."""
_ULID = "0123456789abcdefghjkmnpqrstvwxyz"


@dataclass
class KommoAccount:
    """Everything the fake serves, as Kommo-shaped dicts, plus the demo tables it came from."""

    account: dict[str, Any]
    users: list[dict[str, Any]]
    pipelines: list[dict[str, Any]]
    loss_reasons: list[dict[str, Any]]
    leads: dict[int, dict[str, Any]]
    deleted_leads: dict[int, int]
    """Deleted lead id → when it was deleted (Unix seconds)."""
    contacts: dict[int, dict[str, Any]]
    companies: dict[int, dict[str, Any]]
    tasks: dict[int, dict[str, Any]]
    notes: dict[str, dict[int, dict[str, Any]]]
    """"leads" / "contacts" / "companies" → note id → call note."""
    events: dict[str, dict[str, Any]]
    truth: dict[str, pa.Table] = field(default_factory=dict)
    """The demo tables this account was built from (the subset kept)."""

    def copy(self) -> KommoAccount:
        """An account a test may change: its own containers; records are replaced, never edited."""
        return replace(self, leads=dict(self.leads), deleted_leads=dict(self.deleted_leads),
                       contacts=dict(self.contacts), companies=dict(self.companies), tasks=dict(self.tasks),
                       notes={k: dict(v) for k, v in self.notes.items()}, events=dict(self.events))


def ulid(ms: int, salt: str) -> str:
    """A ULID-shaped id: 10 characters of time in ms, 16 of a hash of ``salt``."""
    head = ""
    for _ in range(10):
        head = _ULID[ms % 32] + head
        ms //= 32
    digest = int.from_bytes(hashlib.blake2b(salt.encode(), digest_size=10).digest(), "big")
    tail = ""
    for _ in range(16):
        tail += _ULID[digest % 32]
        digest //= 32
    return head + tail


def ts(value: dt.datetime | None) -> int | None:
    return int(value.replace(tzinfo=dt.UTC).timestamp()) if value is not None else None


def demo_subset(every: int = 20, seed: int = 7, copies: int = 1, touch_every: int = 1) -> dict[str, pa.Table]:
    """The demo tables, one deal in ``every`` kept with its stage moves, calls, tasks, actions."""
    parts = [_one_copy(generate(seed + k, TODAY), k, every, touch_every) for k in range(copies)]
    return {name: pa.concat_tables([p[name] for p in parts]) if name not in _SHARED else parts[0][name]
            for name in parts[0]}


_SHARED = ("account", "teams", "users", "pipelines", "stages", "goals", "settings", "sync_state")
_ID_COLUMNS = {"deals": ("id", "contact_id"), "contacts": ("id",), "deal_stage_changes": ("id", "deal_id"),
               "calls": ("id", "deal_id", "contact_id"), "tasks": ("id", "deal_id", "contact_id"),
               "activities": ("id", "deal_id", "contact_id")}


def _one_copy(tables: dict[str, pa.Table], k: int, every: int, touch_every: int) -> dict[str, pa.Table]:
    deals = tables["deals"]
    keep = pc.equal(pc.remainder(pc.subtract(deals["id"], 1), every), 0)
    deals = deals.filter(keep)
    kept = deals["id"]
    out = dict(tables)
    out["deals"] = deals
    out["contacts"] = tables["contacts"].filter(pc.is_in(tables["contacts"]["id"], deals["contact_id"]))
    for name in ("deal_stage_changes", "calls", "tasks", "activities"):
        t = tables[name].filter(pc.is_in(tables[name]["deal_id"], kept))
        if touch_every > 1 and name != "deal_stage_changes":
            thin = pc.equal(pc.remainder(t["id"], touch_every), 0)
            if name == "activities":
                thin = pc.or_(thin, pc.is_in(t["kind"], pa.array(["deal_created", "stage_change"])))
            t = t.filter(thin)
        out[name] = t
    if touch_every > 1:  # activities of calls and tasks follow the calls and tasks kept
        out["activities"] = _follow(out["activities"], out["calls"]["id"], out["tasks"]["id"])
    if k:
        for name, cols in _ID_COLUMNS.items():
            t = out[name]
            for col in cols:
                t = t.set_column(t.schema.get_field_index(col), col, pc.add(t[col], k * ID_SHIFT))
            out[name] = t
    return out


def _follow(activities: pa.Table, call_ids: pa.Array, task_ids: pa.Array) -> pa.Table:
    rows = activities.to_pylist()
    calls, tasks = set(call_ids.to_pylist()), set(task_ids.to_pylist())
    kept = []
    for r in rows:
        ref = _ref(r["details"])
        if r["kind"] in ("call_in", "call_out") and ref not in calls:
            continue
        if r["kind"] in ("task_created", "task_completed") and ref not in tasks:
            continue
        kept.append(r)
    return pa.Table.from_pylist(kept, schema=activities.schema)


def _ref(details: str | None) -> int | None:
    if not details or not details.startswith('{"'):
        return None
    digits = "".join(ch for ch in details.split(":", 1)[1].split(",", 1)[0] if ch.isdigit())
    return int(digits) if digits else None


def build_account(every: int = 20, seed: int = 7, copies: int = 1, touch_every: int = 1) -> KommoAccount:
    """The fake's account: the demo subset, served as Kommo would."""
    from kommo.fake_records import build_records

    truth = demo_subset(every, seed, copies, touch_every)
    return build_records(truth)

