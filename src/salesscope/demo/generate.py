"""``generate``: the whole demo account as Arrow tables, a pure function of its arguments.

The same (seed, today, scale) gives byte-identical tables: every random draw comes from a named
stream of the seed (``streams``), and nothing reads the wall clock — the caller passes ``now_utc``
when ``today`` is the real date and the data should stop at the present moment.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from salesscope.demo import reference
from salesscope.demo.activities import FeedInputs, activities_table
from salesscope.demo.arrivals import ArrivalCurve
from salesscope.demo.book import assemble, repeat_buyers
from salesscope.demo.calls import calls_table
from salesscope.demo.clock import DemoCalendar, kyiv_now
from salesscope.demo.cohorts import plan_repeat, plan_sales
from salesscope.demo.contacts import contact_phones, contacts_table
from salesscope.demo.deal_fields import CLIENT_WRITES_FIRST, STAFF_SOURCES, draw_fields
from salesscope.demo.deal_tables import deals_table, stage_changes_table
from salesscope.demo.goals import goals_table
from salesscope.demo.journeys import draw
from salesscope.demo.leads import expand
from salesscope.demo.revenue import draw_amounts, shape
from salesscope.demo.roster import Roster
from salesscope.demo.scale import scale_named
from salesscope.demo.spend import spend_table
from salesscope.demo.streams import stream
from salesscope.demo.tasks import tasks_table
from salesscope.demo.touches import CALL_IN, CALL_OUT, TASK, client_replies, draw_touches
from salesscope.warehouse.arrow import arrow_schema
from salesscope.warehouse.schema import TABLES


def generate(
    seed: int,
    today: dt.date,
    scale: str = "default",
    *,
    now_utc: dt.datetime | None = None,
) -> dict[str, pa.Table]:
    """Every canonical table of the demo account, keyed by table name.

    ``today``: the last day of data; nothing happens after 18:00 local that day (or after
    ``now_utc``, a naive UTC instant, when given and earlier). The sync state records ``now_utc``
    when given, else the UTC instant of ``today`` 18:00 Europe/Kyiv.
    """
    size = scale_named(scale)
    calendar = DemoCalendar.for_today(today, kyiv_now(now_utc) if now_utc else None)
    roster = Roster.build(calendar, size, stream(seed, "roster"))
    arrivals = ArrivalCurve.build(calendar)

    sales_cohorts = plan_sales(calendar, roster, arrivals, stream(seed, "sales cohorts"))
    sales = expand(sales_cohorts, calendar, roster, arrivals, stream(seed, "sales leads"),
                   late_wins=True)
    sales_journeys = draw(sales, roster, stream(seed, "sales journeys"))
    repeat_cohorts = plan_repeat(calendar, roster, size, arrivals, stream(seed, "repeat cohorts"))
    repeat = expand(repeat_cohorts, calendar, roster, arrivals, stream(seed, "repeat leads"))
    keep, buyer = repeat_buyers(repeat, sales, sales_journeys, stream(seed, "repeat buyers"))
    repeat = repeat.select(keep)
    repeat_journeys = draw(repeat, roster, stream(seed, "repeat journeys"))
    book = assemble(sales, sales_journeys, repeat, repeat_journeys, buyer)

    fields = draw_fields(book, calendar.seed_index, stream(seed, "deal fields"))
    amount = draw_amounts(book, roster, stream(seed, "amounts"))
    amount = shape(amount, book, fields.deleted, roster, calendar, stream(seed, "revenue"))
    phones = contact_phones(book.n_contacts, stream(seed, "phones"))

    touches = draw_touches(book, roster, size.touch_factor, stream(seed, "touches"))
    call_rows = touches.of_kind(CALL_OUT, CALL_IN)
    calls, call_ids, duration, status = calls_table(
        touches, call_rows, book, phones, roster, calendar, stream(seed, "calls"))
    task_rows = touches.of_kind(TASK)
    tasks, task_events = tasks_table(touches, task_rows, book, roster, calendar,
                                     stream(seed, "tasks"))
    lead = book.leads
    staff_created = (
        np.isin(fields.source, STAFF_SOURCES)
        & roster.schedule.inside(lead.owner, lead.created_s)
        & (lead.work0 < roster.work_end[lead.owner])
    )
    feed = FeedInputs(
        book=book,
        touches=touches,
        staff_created=staff_created,
        client_first=np.isin(fields.source, CLIENT_WRITES_FIRST),
        replies=client_replies(touches, book, roster, stream(seed, "replies")),
        call_rows=call_rows,
        call_ids=call_ids,
        call_duration=duration,
        call_status=status,
        task_rows=task_rows,
        task_ids=task_events.task_id,
        task_done_s=task_events.completed_s,
    )
    tables = {
        "account": reference.account_table(),
        "teams": reference.teams_table(roster),
        "users": reference.users_table(roster),
        "pipelines": reference.pipelines_table(),
        "stages": reference.stages_table(),
        "contacts": contacts_table(book, book.journeys.updated_s, phones, roster, calendar,
                                   stream(seed, "contacts")),
        "deals": deals_table(book, fields, amount, roster, calendar),
        "deal_stage_changes": stage_changes_table(book, roster, calendar),
        "activities": activities_table(feed, roster, calendar, stream(seed, "activities")),
        "calls": calls,
        "tasks": tasks,
        "goals": goals_table(book, amount, fields.deleted, roster, calendar, stream(seed, "goals")),
        "settings": reference.settings_table(),
        "spend": spend_table(calendar, stream(seed, "spend")),
        "currency_rates": arrow_schema("currency_rates").empty_table(),
    }
    finished = now_utc.replace(tzinfo=None) if now_utc else calendar.utc_instant(
        calendar.local_datetime(calendar.seconds(dt.datetime.combine(today, dt.time(18)))))
    rows = sum(t.num_rows for t in tables.values()) + 1
    tables["sync_state"] = reference.sync_state_table(finished, rows)
    return {t.name: tables[t.name] for t in TABLES}
