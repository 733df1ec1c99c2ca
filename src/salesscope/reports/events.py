"""Event list: every action in the period, newest first, with who, what, on which deal, and a link.

The rows are ``activity_facts``: the actions of ``activities`` plus the stage moves of
``deal_stage_changes`` (the stage history, which knows the stages before and after). A row is
credited to a manager as in the employee report — so ``--manager Olena --kind note`` lists exactly
the notes the employee report counts for her. Kommo's event list pages through actions; here the
whole list comes at once (``--limit N`` for the newest N) in every output format.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from salesscope.reports.activity_cache import activity_table, compiled_arrow, scope_key
from salesscope.reports.activity_drill import PROPOSAL
from salesscope.reports.activity_people import person_name
from salesscope.reports.activity_result import from_columns
from salesscope.reports.activity_scope import ACTION_KINDS, FILTERS_NOTE, in_scope, proposal_stages
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Scope, resolve
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.reports.spec import ReportOption, ReportSpec
from salesscope.warehouse.derived_activity import ACTIVITY_FACTS
from salesscope.warehouse.store import Warehouse

NAME = "events"
TITLE = "Event list"
SUMMARY = ("Every action in the period, newest first: when (local time), who, what, on which "
           "deal or contact (with a CRM link), and the value before and after a stage move."
           + FILTERS_NOTE)

_NEWEST_FIRST = (ibis.desc("at"), ibis.desc("origin"), ibis.desc("id"))
_READ = ("origin", "id", "kind", "at_local", "author_id", "manager_id", "deal_id", "deal_name",
         "contact_id", "contact_name", "details", "from_stage_id", "to_stage_id")

COLUMNS = (
    ColumnSpec("at", "At", "datetime", "When it happened, account-local time."),
    ColumnSpec("kind", "Kind", "string", "What was done: " + ", ".join(ACTION_KINDS) + "."),
    ColumnSpec("author", "Author", "string", "Who did it; (client) for a client's message, "
               "(robot) for an integration or automation."),
    ColumnSpec("manager", "Manager", "string", "The manager the action is credited to in the "
               "employee report: the author, or for a client's message the deal's current owner."),
    ColumnSpec("manager_id", "Manager id", "integer", "CRM id of that manager."),
    ColumnSpec("deal_id", "Deal id", "integer", "The deal it concerns, if any."),
    ColumnSpec("deal", "Deal", "string", "The deal's name."),
    ColumnSpec("contact", "Contact", "string", "The contact it concerns (its deal's main "
               "contact when the action names none)."),
    ColumnSpec("link", "CRM link", "string", "The deal's card in the CRM (the contact's when there "
               "is no deal); empty when the account has no CRM address (demo, import)."),
    ColumnSpec("before", "Before", "string", "For a stage move: the stage before."),
    ColumnSpec("after", "After", "string", "For a stage move: the stage after; otherwise the "
               "action's text or details as the CRM gave them."),
    ColumnSpec("origin", "Origin", "string", "Table the row comes from: activity (activities) "
               "or stage_change (deal_stage_changes)."),
    ColumnSpec("id", "Id", "integer", "The row's id in that table."),
)

ALL = "all"
OPTIONS = (
    ReportOption("kind", str, ALL, "only these kinds of action, comma-separated "
                 "(" + ", ".join(ACTION_KINDS) + ")"),
    ReportOption("deal", str, ALL, "only actions on these deals: CRM ids, comma-separated"),
    ReportOption("to_stage", str, ALL, "only stage moves into these stages: ids, comma-separated, or "
                 f"{PROPOSAL} (each pipeline's proposal stage, as the employee report counts proposals)"),
    ReportOption("authored", bool, False, "only actions with a person as author (no clients' "
                 "messages, no robots' moves): the actions work time counts"),
    ReportOption("limit", int, 0, "at most N rows, the newest (0: every row)"),
)


def events(wh: Warehouse, filters: Filters) -> ReportResult:
    """The period's actions, newest first."""
    scope = resolve(wh, filters, SPEC.groupings)
    kinds = parse_kinds(str(filters.option("kind", ALL)))
    deals = parse_ids("--deal", str(filters.option("deal", ALL)))
    limit = parse_limit(filters.option("limit", 0))
    to_stages = _to_stages(wh, str(filters.option("to_stage", ALL)))
    authored = bool(filters.option("authored", False))

    def feed() -> ir.Table:
        t = activity_table(wh, ACTIVITY_FACTS)
        more = [t.kind.isin(kinds)] if kinds else []
        if deals:
            more.append(t.deal_id.isin(deals))
        if to_stages is not None:
            more.append(t.to_stage_id.isin(to_stages) if to_stages else ibis.literal(False))
        if authored:
            more.append(t.author_id.notnull())
        t = in_scope(t, scope, "manager_id", *more)
        t = t.order_by(_NEWEST_FIRST).select(*_READ)
        return t.limit(limit) if limit else t

    # Everything the SQL depends on besides the data: compiled once, run again after every sync.
    key = ("events", scope_key(scope), kinds, deals, to_stages, authored, limit)
    return from_columns(NAME, TITLE, COLUMNS, _columns(wh, scope, compiled_arrow(wh, key, feed)),
                        filters.describe(), wh.data_as_of())


def _columns(wh: Warehouse, scope: Scope, found: pa.Table) -> dict[str, Any]:
    """The output columns from the rows read: names, links and stages looked up per column."""
    stages = {int(s["id"]): str(s["name"]) for s in wh.catalog().stages}
    account = wh.account()
    base = account.base_url.rstrip("/") if account and account.base_url else None
    col = {name: found[name].to_pylist() for name in
           ("origin", "kind", "author_id", "manager_id", "deal_id", "contact_id", "details",
            "from_stage_id", "to_stage_id")}
    moves = [origin == "stage_change" for origin in col["origin"]]
    return {
        "at": found["at_local"],
        "kind": found["kind"],
        "author": [_author(scope, a, k) for a, k in zip(col["author_id"], col["kind"], strict=True)],
        "manager": [person_name(scope, m) if m is not None else None for m in col["manager_id"]],
        "manager_id": found["manager_id"],
        "deal_id": found["deal_id"],
        "deal": found["deal_name"],
        "contact": found["contact_name"],
        "link": [crm_link(base, d, c) for d, c in zip(col["deal_id"], col["contact_id"], strict=True)],
        "before": [_stage(stages, s) if m else None
                   for m, s in zip(moves, col["from_stage_id"], strict=True)],
        "after": [_stage(stages, s) if m else d
                  for m, s, d in zip(moves, col["to_stage_id"], col["details"], strict=True)],
        "origin": found["origin"],
        "id": found["id"],
    }


def _stage(stages: dict[int, str], stage_id: int | None) -> str | None:
    if stage_id is None:
        return None
    return stages.get(stage_id, f"stage {stage_id}")


def _author(scope: Scope, author_id: int | None, kind: str) -> str:
    if author_id is not None:
        return person_name(scope, author_id)
    return "(client)" if kind == "message_in" else "(robot)"


def crm_link(base_url: str | None, deal_id: int | None, contact_id: int | None) -> str | None:
    """The CRM card of the deal (else of the contact); None without a CRM address."""
    if base_url is None:
        return None
    if deal_id is not None:
        return f"{base_url}/leads/detail/{deal_id}"
    if contact_id is not None:
        return f"{base_url}/contacts/detail/{contact_id}"
    return None


def parse_kinds(text: str) -> tuple[str, ...]:
    """``--kind`` values (comma-separated; all: no filter); an unknown one names itself and the
    valid kinds."""
    if text.strip().lower() == ALL:
        return ()
    kinds = tuple(k.strip().lower() for k in text.split(",") if k.strip())
    for kind in kinds:
        if kind not in ACTION_KINDS:
            raise FilterError("kind", kind, ACTION_KINDS)
    return kinds


def parse_ids(flag: str, text: str) -> tuple[int, ...]:
    """Comma-separated CRM ids (all: no filter); anything else names itself."""
    if text.strip().lower() == ALL:
        return ()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    for part in parts:
        if not part.isdigit():
            raise FilterError(flag, part, ["a CRM id (digits), or several comma-separated"],
                              reason=f"malformed {flag}")
    return tuple(int(p) for p in parts)


def _to_stages(wh: Warehouse, text: str) -> tuple[int, ...] | None:
    """``--to-stage``: stage ids, or every pipeline's proposal stage; None: no filter."""
    if text.strip().lower() == PROPOSAL:
        return proposal_stages(wh)
    ids = parse_ids("--to-stage", text)
    return ids or None


def parse_limit(value: Any) -> int:
    """``--limit``: 0 (every row) or a positive number of rows."""
    limit = int(value or 0)
    if limit < 0:
        raise FilterError("--limit", str(value), ["0 (every row) or a positive whole number"],
                          reason="invalid --limit")
    return limit


SPEC = ReportSpec(NAME, TITLE, SUMMARY, (), events, OPTIONS)
