"""The deal list behind a number: ``salesscope deals`` and the dashboard's ``/deals`` page.

Reads the same ``deal_progress`` the funnel counts from, with the same ``deal_filter``, so a drill
from any report row lists exactly the deals its number counted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from salesscope.reports import channels_counts
from salesscope.reports.drill import DealListOptions
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Scope, deal_filter, resolve
from salesscope.reports.local_time import local_text, utc_of_local
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.warehouse.attribution import own_channel
from salesscope.warehouse.store import Warehouse

NAME = "deals"
TITLE = "Deals"


def _columns(currency: str) -> list[ColumnSpec]:
    return [
        ColumnSpec("deal_id", "Deal", "integer", "CRM deal id."),
        ColumnSpec("name", "Name", "string", "Deal name."),
        ColumnSpec("pipeline", "Pipeline", "string", "The deal's current pipeline."),
        ColumnSpec("stage", "Stage", "string", "The deal's current stage."),
        ColumnSpec("status", "Status", "string", "open, won or lost, by the current stage."),
        ColumnSpec("manager", "Manager", "string", "The deal's current owner."),
        ColumnSpec("team", "Team", "string", "The owner's team."),
        ColumnSpec("amount", "Amount", "money", "Deal budget.", currency),
        ColumnSpec("created", "Created", "string", "When the deal was created, account-local time."),
        ColumnSpec("closed", "Closed", "string", "When the deal was won or lost, account-local time."),
        ColumnSpec("source", "Source", "string", "The CRM's lead source."),
        ColumnSpec("utm_source", "utm_source", "string", "utm_source of the lead."),
        ColumnSpec("link", "CRM link", "string", "The deal's card in the CRM (when the account has a "
                   "web address, e.g. https://acme.kommo.com/leads/detail/ID)."),
    ]


def deal_list(wh: Warehouse, filters: Filters, options: DealListOptions) -> ReportResult:
    """The deals the filters and options select, oldest first."""
    if options.open_at is not None and filters.period is not None:
        raise FilterError("open_at", options.open_at.isoformat(), ["open_at or a period, not both"],
                          reason="a period does not apply with")
    scope = resolve(wh, filters)
    deals = select_deals(wh, scope, options)
    info = wh.table("deals").select("id", "name", "stage_id", "utm_source")
    joined = deals.join(info, deals.deal_id == info.id).order_by(["created_at", "deal_id"])
    joined = joined.select("deal_id", "name", "pipeline_id", "stage_id", "outcome", "owner_id",
                           "amount", "created_at", "closed_at", "source", "utm_source")
    table = (joined.limit(options.limit) if options.limit else joined).to_pyarrow()
    rows = _rows(wh, scope, table)
    described = {**filters.describe(), "deal_list": _describe(options)}
    return ReportResult.from_rows(NAME, TITLE, _columns(scope.currency), rows, described,
                                  wh.data_as_of())


def select_deals(wh: Warehouse, scope: Scope, options: DealListOptions) -> ir.Table:
    """``deal_progress`` rows of the selected deals (an Ibis expression, for counting too)."""
    undated = dataclasses.replace(scope, start_utc=None, end_utc=None)
    t = deal_filter(wh.table("deal_progress"), undated)
    if options.open_at is not None:
        end = utc_of_local(options.open_at + dt.timedelta(days=1), scope.timezone)
        t = t.filter(t.created_at < end, t.closed_at.isnull() | (t.closed_at >= end))
    elif scope.start_utc is not None and scope.end_utc is not None:
        column = t.created_at if options.dated == "created" else t.closed_at
        t = t.filter(column >= scope.start_utc, column < scope.end_utc)
    if options.status is not None:
        t = t.filter(t.outcome == options.status)
    if options.stage is not None:
        t = _stage_filter(wh, t, scope, options)
    if options.channel is not None:
        channel = own_channel(t, "channel")
        t = t.filter(channel == options.channel)
    if options.crm_source is not None:
        t = t.filter(t.source.isnull() if options.crm_source == "" else t.source == options.crm_source)
    if options.no_team:
        in_teams = [p.id for p in scope.people.values() if p.team_id is not None]
        t = t.filter(t.owner_id.isnull() | ~t.owner_id.isin(in_teams or [-1]))
    if options.attribution:
        matching = channels_counts.attributed(wh, "channel", options.touch, dict(options.attribution))
        matching = matching.select(matching_id=matching.deal_id)
        t = t.semi_join(matching, t.deal_id == matching.matching_id)
    if options.proposal:
        reached = channels_counts.proposal_reached(wh, t)
        t = t.filter(reached if reached is not None else ibis.literal(False))
    return t


def _stage_filter(wh: Warehouse, t: ir.Table, scope: Scope, options: DealListOptions) -> ir.Table:
    assert options.stage is not None
    stage = match_stage(wh, options.stage, scope.pipeline_ids)
    if options.mode == "reached":
        on = t.outcome == "won"
        if stage["kind"] == "open":
            on = on | (t.max_open_sort >= stage["sort"])
        elif stage["kind"] == "lost":
            on = t.outcome == "lost"
        return t.filter(t.pipeline_id == stage["pipeline_id"], on)
    if options.mode == "lost_at":
        return t.filter(t.outcome == "lost", t.last_open_stage_id == stage["id"])
    current = wh.table("deals").select(current_id="id", current_stage="stage_id")
    current = current.filter(current.current_stage == stage["id"])
    return t.semi_join(current, t.deal_id == current.current_id)


def match_stage(wh: Warehouse, value: str, pipeline_ids: tuple[int, ...] | None) -> dict[str, Any]:
    """A stage by id, or by name (any case) within the pipelines asked for; ambiguity is named."""
    pipelines = {int(r["id"]): str(r["name"]) for r in wh.catalog().pipelines}
    stages = [s for s in wh.catalog().stages
              if pipeline_ids is None or s["pipeline_id"] in pipeline_ids]
    key = value.strip()
    labels = sorted(f"{s['id']} ({pipelines.get(s['pipeline_id'], '?')}: {s['name']})" for s in stages)
    if key.isdigit():
        found = [s for s in stages if s["id"] == int(key)]
    else:
        found = [s for s in stages if str(s["name"]).casefold() == key.casefold()]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise FilterError("stage", value, [lbl for lbl in labels if key.casefold() in lbl.casefold()],
                          reason="ambiguous stage (give its id or --pipeline)")
    raise FilterError("stage", value, labels)


def _rows(wh: Warehouse, scope: Scope, table: Any) -> list[dict[str, Any]]:
    catalog = wh.catalog()
    stage_names = {int(s["id"]): str(s["name"]) for s in catalog.stages}
    account = catalog.account
    base = account.base_url.rstrip("/") if account and account.base_url else None
    created = local_text(table["created_at"], scope.timezone)
    closed = local_text(table["closed_at"], scope.timezone)
    rows = []
    for i, r in enumerate(table.to_pylist()):
        person = scope.people.get(r["owner_id"]) if r["owner_id"] is not None else None
        rows.append({
            "deal_id": r["deal_id"],
            "name": r["name"],
            "pipeline": scope.pipeline_names.get(r["pipeline_id"], str(r["pipeline_id"])),
            "stage": stage_names.get(r["stage_id"], str(r["stage_id"])),
            "status": r["outcome"],
            "manager": person.name if person else None,
            "team": person.team if person else None,
            "amount": float(r["amount"]),
            "created": created[i],
            "closed": closed[i],
            "source": r["source"],
            "utm_source": r["utm_source"],
            "link": f"{base}/leads/detail/{r['deal_id']}" if base else None,
        })
    return rows


def _describe(options: DealListOptions) -> dict[str, Any]:
    described = dataclasses.asdict(options)
    if options.open_at is not None:
        described["open_at"] = options.open_at.isoformat()
    return described
