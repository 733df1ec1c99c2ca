"""The ``deals`` and ``deal_stage_changes`` tables from the deal book."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.demo import columns
from salesscope.demo.book import FIRST_CHANGE_ID, DealBook
from salesscope.demo.catalog import CURRENCY, PIPELINES
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.cohorts import REPEAT
from salesscope.demo.contacts import FIRST_CONTACT_ID
from salesscope.demo.deal_fields import LOSS_REASONS, SOURCES, UTM, UTM_CONTENT, DealFields
from salesscope.demo.roster import Roster

DEAL_NAME = ("Угода #", "Повторна угода #")


def deals_table(
    book: DealBook, fields: DealFields, amount: np.ndarray, roster: Roster, calendar: DemoCalendar
) -> pa.Table:
    lead, j = book.leads, book.journeys
    n = len(book)
    ids = book.ids
    repeat = lead.pipeline == REPEAT
    name = pc.if_else(
        pa.array(repeat),
        columns.numbered(DEAL_NAME[1], ids),
        columns.numbered(DEAL_NAME[0], ids),
    )
    utm = fields.utm
    campaigns = [c for u in UTM for c in u[2]]
    campaign_base = np.cumsum([0] + [len(u[2]) for u in UTM])[:-1]
    campaign = np.where(utm >= 0, campaign_base[np.maximum(utm, 0)] + fields.campaign, -1)
    return pa.table({
        "id": columns.ids(ids),
        "name": name,
        "amount": columns.money(amount),
        "currency": pa.array(np.full(n, CURRENCY)),
        "pipeline_id": columns.ids(np.array([p.id for p in PIPELINES])[lead.pipeline]),
        "stage_id": columns.ids(j.stage_id),
        "owner_id": columns.ids(roster.ids[lead.owner]),
        "contact_id": columns.ids(FIRST_CONTACT_ID + book.contact),
        "created_at": columns.timestamps(calendar, lead.created_s),
        "updated_at": columns.timestamps(calendar, j.updated_s),
        "closed_at": columns.timestamps(calendar, np.maximum(j.closed_s, 0), j.closed_s < 0),
        "loss_reason": columns.labels(fields.loss_reason, LOSS_REASONS),
        "source": columns.labels(fields.source, SOURCES),
        "utm_source": columns.labels(utm, [u[0] for u in UTM]),
        "utm_medium": columns.labels(utm, [u[1] for u in UTM]),
        "utm_campaign": columns.labels(campaign, campaigns),
        "utm_content": columns.labels(fields.content, UTM_CONTENT),
        "tags": fields.tags,
        "deleted": pa.array(fields.deleted),
    })


def stage_changes_table(book: DealBook, roster: Roster, calendar: DemoCalendar) -> pa.Table:
    """One row per move, ids in time order; robots' moves have no user."""
    j = book.journeys
    n = len(j.change_deal)
    owner = roster.ids[book.leads.owner[j.change_deal]]
    return pa.table({
        "id": columns.ids(FIRST_CHANGE_ID + np.arange(n)),
        "deal_id": columns.ids(book.ids[j.change_deal]),
        "from_stage_id": columns.ids(j.change_from),
        "to_stage_id": columns.ids(j.change_to),
        "at": columns.timestamps(calendar, j.change_s),
        "by_user_id": columns.ids(owner, j.change_robot),
    })
