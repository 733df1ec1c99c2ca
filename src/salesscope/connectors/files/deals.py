"""A deals file planned into canonical rows: deals, their owners, pipelines, stages, contacts, history.

Planning reads the warehouse but writes nothing; every check of the file happens here, so a bad
file fails before the one write transaction (``load.apply``) begins. Each deal row is the file's
row: re-importing a changed file replaces the deal, fields the mapping does not name are empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from salesscope.connectors.files.deal_rows import DealRowParser, ParsedDeal
from salesscope.connectors.files.errors import FileImportError, MappingError
from salesscope.connectors.files.existing import Existing, read_existing, rows_by_id
from salesscope.connectors.files.history import file_history, moved_since_last_import
from salesscope.connectors.files.load import LoadPlan, import_sync_row
from salesscope.connectors.files.mapping import DEAL_FIELDS, DealMapping, StageSet
from salesscope.connectors.files.reading import SourceTable
from salesscope.connectors.files.references import References
from salesscope.connectors.files.summary import ImportSummary
from salesscope.warehouse.store import Warehouse

IMPORT_CRM = "import"


def plan_deals(wh: Warehouse, source: SourceTable, mapping: DealMapping,
               account_name: str | None, now: dt.datetime) -> tuple[LoadPlan, ImportSummary]:
    """Check every row of ``source`` and turn the file into the rows an import writes."""
    existing = read_existing(wh)
    account = _new_account(existing, source, mapping, account_name)
    timezone = mapping.options.timezone or (existing.account.timezone if existing.account else "UTC")
    currency = str(account["currency"] if account else mapping.options.default_currency
                   or (existing.account.currency if existing.account else ""))
    parser = DealRowParser(source, mapping, ZoneInfo(timezone), currency)
    parsed = _parse_all(parser, source)
    refs = References(existing)
    before = rows_by_id(wh, "deals", (d.id for d in parsed))
    summary = ImportSummary("deals", source.path, source.dialect, len(source.rows), source.blank_rows)
    deals: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for deal in parsed:
        stages = mapping.stage_set(deal.pipeline)
        assert stages is not None  # the parser checked it
        row = _deal_row(deal, stages, refs, mapping)
        deals.append(row)
        _count(summary, row, before.get(deal.id))
        changes += _history(deal, stages, row, before.get(deal.id), refs, mapping, now)
    summary.blanks = dict(parser.blanks)
    summary.not_mapped = [f for f in DEAL_FIELDS if f not in mapping.columns]
    summary.created = dict(refs.created)
    known = rows_by_id(wh, "deal_stage_changes", (c["id"] for c in changes))
    summary.stage_changes = sum(1 for c in changes if known.get(c["id"]) != c)
    summary.notes = dict(parser.notes)
    if account is not None:
        summary.account_created = (f"{account['name']} ({account['currency']}, "
                                   f"{account['timezone']})")
    plan = LoadPlan(
        upserts={"users": list(refs.users.values()), "pipelines": list(refs.pipelines.values()),
                 "stages": list(refs.stages.values()), "contacts": list(refs.contacts.values()),
                 "deals": deals, "deal_stage_changes": changes},
        replace_history_of=[d.id for d in parsed] if mapping.stage_entered else [],
        account=account,
        sync_state=import_sync_row("deals", source.path, len(parsed)),
    )
    return plan, summary


def _new_account(existing: Existing, source: SourceTable, mapping: DealMapping,
                 account_name: str | None) -> dict[str, Any] | None:
    """The account row to create when the warehouse has none yet."""
    if existing.account is not None:
        return None
    currency = mapping.options.default_currency
    if currency is None:
        raise MappingError(mapping.path, "[options] default_currency",
                           'the warehouse has no account yet: say its currency, e.g. '
                           'default_currency = "UAH"')
    return {"id": 1, "name": account_name or source.path.stem, "currency": currency,
            "timezone": mapping.options.timezone or "UTC", "crm": IMPORT_CRM, "subdomain": None,
            "base_url": None}


def _parse_all(parser: DealRowParser, source: SourceTable) -> list[ParsedDeal]:
    """Every row parsed; a second row with the same deal id fails naming both rows."""
    seen: dict[int, ParsedDeal] = {}
    for row in source.rows:
        deal = parser.parse(row)
        first = seen.get(deal.id)
        if first is not None:
            same = first.source_id == deal.source_id
            reason = (f"duplicate deal_id (first on row {first.row})" if same else
                      f"deal_id gets the same id as {first.source_id!r} on row {first.row}:")
            raise FileImportError(source.path, row.number, parser.mapping.columns["deal_id"],
                                  deal.source_id, reason)
        seen[deal.id] = deal
    return list(seen.values())


def _deal_row(deal: ParsedDeal, stages: StageSet, refs: References,
              mapping: DealMapping) -> dict[str, Any]:
    pipeline_id = refs.pipeline(deal.pipeline, stages)
    return {
        "id": deal.id,
        "name": deal.texts["name"],
        "amount": deal.amount,
        "currency": deal.currency,
        "pipeline_id": pipeline_id,
        "stage_id": refs.stage(pipeline_id, deal.stage.name),
        "owner_id": refs.user(deal.owner) if deal.owner else None,
        "contact_id": (refs.contact(deal.contact, deal.created_at,
                                    mapping.options.contacts_are_companies)
                       if deal.contact else None),
        "created_at": deal.created_at,
        "updated_at": None,
        "closed_at": deal.closed_at,
        "loss_reason": deal.texts["loss_reason"],
        "source": deal.texts["source"],
        "utm_source": deal.texts["utm_source"],
        "utm_medium": deal.texts["utm_medium"],
        "utm_campaign": deal.texts["utm_campaign"],
        "utm_content": deal.texts["utm_content"],
        "tags": deal.tags,
        "deleted": False,
    }


def _count(summary: ImportSummary, row: dict[str, Any], before: dict[str, Any] | None) -> None:
    if before is None:
        summary.new += 1
    elif before == row:
        summary.unchanged += 1
    else:
        summary.updated += 1


def _history(deal: ParsedDeal, stages: StageSet, row: dict[str, Any],
             before: dict[str, Any] | None, refs: References, mapping: DealMapping,
             now: dt.datetime) -> list[dict[str, Any]]:
    """The stage-change rows this deal needs (see ``history``)."""
    pipeline_id = int(row["pipeline_id"])
    if mapping.stage_entered:
        return file_history(deal, stages, lambda name: refs.stage(pipeline_id, name))
    if before is not None and before["stage_id"] != row["stage_id"]:
        return [moved_since_last_import(deal, int(before["stage_id"]), int(row["stage_id"]), now)]
    return []
