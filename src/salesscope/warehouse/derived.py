"""Derived tables, materialised at load time so reports stay within a few scans of the data.

``deal_progress`` holds, per deal, how far it went in its current pipeline, next to the deal
columns every report filters on — so a funnel is one scan of one table, not a join of two
million-row tables (measured: 26 ms joined vs ~8 ms on this table at 1M deals). Rows are stored in
``created_at`` order so a period filter skips whole row groups. It is rebuilt from ``deals``,
``deal_stage_changes`` and ``stages`` after every load (demo build, sync, import), so it is never
edited by hand and never out of date with what it is derived from.

``deal_progress`` also carries each deal's first contact (so time to first contact reads no
activities), and ``deal_stage_stays`` holds every ended stay of a deal in a stage with the same
filter columns (so time in stage reads no stage history and no window per report).

``deal_progress`` is built a range of months of ``created_at`` at a time (``derived_activity.
day_ranges``), each range sorted and appended in turn: the same rows in the same stored order as
one statement, but a sync's memory stays flat in the account's size.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from salesscope.warehouse import (
    derived_activity,
    derived_columns,
    derived_days,
    derived_funnel,
    derived_metrics,
    derived_open,
    derived_worktime,
)
from salesscope.warehouse.attribution import own_channel
from salesscope.warehouse.engines import Engine

DEAL_PROGRESS = "deal_progress"
DEAL_STAGE_STAYS = "deal_stage_stays"
DEAL_CHUNK_ROWS = 100_000
"""About how many deals one statement of the deal_progress build holds (its joins and windows
carry every stage change and contact of those deals). Measured at 50k leads (one range) under a
sync's DuckDB limit: 20k-deal ranges peaked no lower (299 against 293 MB RSS for the rebuild, the
statements fill the limit either way), so a smaller range would not lower a sync's peak; each range
re-reads the won deals for contact wins."""

CONTACT_KINDS = ("call_out", "message_out", "note")
"""Activity kinds that count as contacting a lead (when done by a person)."""

# Copied from ``deals`` unchanged, so ``reports.filters.deal_filter`` applies to both tables.
DEAL_FILTER_COLUMNS = ("pipeline_id", "owner_id", "created_at", "closed_at", "amount", "source",
                       "utm_source", "tags", "deleted")

# Every column of deal_progress in order; a warehouse whose table differs is rebuilt on open.
DEAL_PROGRESS_COLUMNS = {
    "deal_id": "The deal (deals.id).",
    **{name: f"deals.{name}, copied so reports filter without a join." for name in DEAL_FILTER_COLUMNS},
    "max_open_sort": "Highest `stages.sort` of an open stage the deal was ever in, counting its "
    "first stage; at least the pipeline's first open stage (every deal starts as a lead).",
    "last_open_stage_id": "The open stage the deal was in last (for a lost deal: where it was "
    "lost); the pipeline's first open stage when it never was in one.",
    "outcome": "open, won or lost, from the kind of the current stage.",
    "first_contact_at": "The deal's first outgoing call, outgoing message or note by a person "
    "(activities with an author, kind in CONTACT_KINDS) at or after its creation; NULL if none.",
    "contact_id": "deals.contact_id: the deal's main contact.",
    "contact_wins": "Won deals (current stage of kind won, not deleted) of that contact in all, "
    "any pipeline and manager; NULL without a contact or a win.",
    "contact_second_win_at": "The contact's second earliest closed_at among those won deals "
    "(NULL with fewer than two dated): it has two wins closed before T iff this is before T.",
    "first_contact_work_s": "Working seconds from created_at to first_contact_at in the zone and "
    "working hours recorded in deal_progress_basis (derived_worktime); NULL if never contacted.",
    "channel": "The deal's own channel (``warehouse.attribution.own_channel``: trimmed utm_source, "
    "else trimmed source, else `(none)`), so grouping by channel reads no strings to trim.",
}

# Every column of deal_stage_stays in order; a warehouse whose table differs is rebuilt on open.
DEAL_STAGE_STAYS_COLUMNS = {
    "deal_id": "The deal (deals.id).",
    **{name: f"deals.{name}, copied so reports filter without a join." for name in DEAL_FILTER_COLUMNS},
    "stage_id": "The stage the deal left (deal_stage_changes.from_stage_id).",
    "stay_us": "Microseconds in it: from the deal's previous stage change (its creation, for the "
    "first) to this one. An integer: a median over integers runs twice as fast as over days.",
}


def deal_progress(backend: BaseBackend, created: derived_activity.DayRange = (None, None),
                  worktime: derived_worktime.Frame | None = None) -> ir.Table:
    """How far each deal went in its current pipeline, as an Ibis expression.

    A deal's first stage is the one it was created in: the ``from_stage_id`` of its earliest
    change, or its current stage when it never moved. Stages of other pipelines (a deal moved
    between pipelines) do not count towards progress in the current one. Only the deals created
    in ``created`` (UTC days, open-ended where None) get rows; their contacts' wins still count
    every deal. Working seconds to first contact are measured by ``worktime`` (NULL without).
    """
    every_deal = backend.table("deals")
    deals = _created_within(every_deal, created)
    changes = backend.table("deal_stage_changes")
    if created != (None, None):
        changes = changes.filter(changes.deal_id.isin(deals.id))
    stages = backend.table("stages")

    ordered = changes.mutate(
        rn=ibis.row_number().over(group_by=changes.deal_id, order_by=[changes.at, changes.id])
    )
    first_change = ordered.filter(ordered.rn == 0).select(
        deal_id=ordered.deal_id, first_from=ordered.from_stage_id
    )
    first = deals.left_join(first_change, deals.id == first_change.deal_id).select(
        deal_id=deals.id,
        stage_id=ibis.coalesce(first_change.first_from, deals.stage_id),
        at=deals.created_at,
        seq=ibis.literal(-1, "int64"),
    )
    moves = changes.select(
        deal_id=changes.deal_id, stage_id=changes.to_stage_id, at=changes.at, seq=changes.id
    )
    current = deals.select(
        deal_id=deals.id, stage_id=deals.stage_id, at=deals.updated_at.fill_null(deals.created_at),
        seq=ibis.literal(-2, "int64"),
    )
    visits = _nullable(first).union(_nullable(moves)).union(_nullable(current))

    deal_pipe = deals.select(deal_id=deals.id, pipeline_id=deals.pipeline_id, cur_stage=deals.stage_id)
    open_stages = stages.filter(stages.kind == "open")
    v = visits.join(deal_pipe, "deal_id").join(
        open_stages,
        [visits.stage_id == open_stages.id, deal_pipe.pipeline_id == open_stages.pipeline_id],
    )
    v = v.select(v.deal_id, v.stage_id, v.at, v.seq, sort=v.sort)
    last_rank = v.mutate(
        rk=ibis.row_number().over(group_by=v.deal_id, order_by=[ibis.desc(v.at), ibis.desc(v.seq)])
    )
    per_deal = (
        v.group_by("deal_id").aggregate(max_open_sort=v.sort.max())
        .join(last_rank.filter(last_rank.rk == 0).select("deal_id", last_open_stage_id="stage_id"),
              "deal_id")
    )

    first_open = open_stages.mutate(
        rk=ibis.row_number().over(group_by=open_stages.pipeline_id, order_by=open_stages.sort)
    )
    first_open = first_open.filter(first_open.rk == 0).select(
        pipeline_id=first_open.pipeline_id, first_sort=first_open.sort, first_id=first_open.id
    )
    kinds = stages.select(cur_stage=stages.id, outcome=stages.kind)

    out = (
        deal_pipe.left_join(per_deal, "deal_id")
        .left_join(first_open, "pipeline_id")
        .left_join(kinds, "cur_stage")
    )
    progress = out.select(
        deal_id=out.deal_id,
        max_open_sort=ibis.coalesce(out.max_open_sort, out.first_sort).cast("int32"),
        last_open_stage_id=ibis.coalesce(out.last_open_stage_id, out.first_id),
        outcome=out.outcome.fill_null("open"),
    )
    acts = backend.table("activities")
    acts = acts.filter(acts.kind.isin(CONTACT_KINDS), acts.author_id.notnull(), acts.deal_id.notnull())
    born = deals.select(born_id=deals.id, born_at=deals.created_at)
    touched = born.join(acts, [born.born_id == acts.deal_id, acts.at >= born.born_at])
    first_touch = touched.group_by(touch_id=touched.born_id).aggregate(
        first_contact_at=touched.at.min())
    won_stages = stages.filter(stages.kind == "won").select(won_stage=stages.id)
    won = every_deal.join(won_stages, every_deal.stage_id == won_stages.won_stage)
    won = won.filter(~won.deleted, won.contact_id.notnull())
    wins = won.group_by(win_contact=won.contact_id).aggregate(contact_wins=won.count())
    dated = won.filter(won.closed_at.notnull())
    dated = dated.mutate(rn=ibis.row_number().over(group_by=dated.contact_id,
                                                    order_by=[dated.closed_at, dated.id]))
    second = dated.filter(dated.rn == 1).select(second_contact=dated.contact_id,
                                                 contact_second_win_at=dated.closed_at)
    wide = (deals.select("id", "contact_id", *DEAL_FILTER_COLUMNS,
                         channel=own_channel(deals, "channel"))
            .join(progress, deals.id == progress.deal_id)
            .left_join(first_touch, deals.id == first_touch.touch_id)
            .left_join(wins, deals.contact_id == wins.win_contact)
            .left_join(second, deals.contact_id == second.second_contact))
    work_s = (derived_worktime.work_seconds(wide.created_at, wide.first_contact_at, *worktime)
              if worktime is not None else ibis.null("int64"))
    return wide.mutate(first_contact_work_s=work_s).select(*DEAL_PROGRESS_COLUMNS).order_by("created_at")


def deal_stage_stays(backend: BaseBackend) -> ir.Table:
    """Every ended stay of a deal in a stage: the stage it left and the microseconds spent there.

    A stay starts at the deal's previous change (by time, then id), or at its creation for the
    first change, and ends at the change that leaves the stage. Rows are stored in the deal's
    ``created_at`` order, as ``deal_progress``: a period filter then skips whole row groups
    (measured at 3.2M stays, a month: 13.6 -> 7.4 ms), worth more than the stage order's presorted
    runs for an all-time median (82 -> 97 ms; all time is stored anyway, ``derived_metrics``).
    The length is integer microseconds, not fractional days: a month's median per stage took
    10.9 -> 4.9 ms; both engines' epoch seconds are exact to the microsecond at these magnitudes.
    """
    deals = backend.table("deals")
    changes = backend.table("deal_stage_changes")
    moves = changes.join(deals.select("id", *DEAL_FILTER_COLUMNS), changes.deal_id == deals.id)
    entered = moves.at.lag().over(ibis.window(group_by=moves.deal_id, order_by=[moves.at, moves.id]))
    seconds = moves.at.epoch_seconds() - ibis.coalesce(entered, moves.created_at).epoch_seconds()
    stay_us = (seconds * 1_000_000).round().cast("int64")
    stays = moves.select("deal_id", *DEAL_FILTER_COLUMNS, stage_id=moves.from_stage_id, stay_us=stay_us)
    return stays.select(*DEAL_STAGE_STAYS_COLUMNS).order_by("created_at")


def _created_within(deals: ir.Table, created: derived_activity.DayRange) -> ir.Table:
    """The deals created in a range of UTC days (each bound None: open)."""
    lo, hi = created
    if lo is not None:
        deals = deals.filter(deals.created_at >= ibis.literal(dt.datetime.combine(lo, dt.time())))
    if hi is not None:
        deals = deals.filter(deals.created_at < ibis.literal(dt.datetime.combine(hi, dt.time())))
    return deals


def _nullable(t: ir.Table) -> ir.Table:
    """Cast every column to its nullable type: set operations need identical schemas."""
    return t.cast({name: dtype.copy(nullable=True) for name, dtype in t.schema().items()})


def current(engine: Engine) -> bool:
    """Whether the deal tables exist with the columns this version builds."""
    mine = {DEAL_PROGRESS: DEAL_PROGRESS_COLUMNS, DEAL_STAGE_STAYS: DEAL_STAGE_STAYS_COLUMNS,
            derived_worktime.DEAL_PROGRESS_BASIS: derived_worktime.DEAL_PROGRESS_BASIS_COLUMNS}
    return (derived_columns.have_columns(engine, mine) and derived_metrics.current(engine)
            and derived_open.current(engine) and derived_days.current(engine)
            and derived_funnel.current(engine))


def refresh(engine: Engine, backend: BaseBackend) -> None:
    """Rebuild every derived table from the canonical tables.

    Runs as SQL on the engine's own connection, so that inside ``Warehouse.replace`` the rebuild
    shares the load's transaction: readers never see new deals with old progress.
    """
    engine.execute(f"DROP TABLE IF EXISTS {DEAL_PROGRESS}")
    ranges = derived_activity.day_ranges(engine, ("deals",), "created_at", DEAL_CHUNK_ROWS)
    worktime = (derived_worktime.current_basis(engine), *derived_worktime.data_range(engine))
    engine.execute(f"DROP TABLE IF EXISTS {derived_worktime.DEAL_PROGRESS_BASIS}")
    engine.execute(f"CREATE TABLE {derived_worktime.DEAL_PROGRESS_BASIS} AS "
                   f"{derived_worktime.basis_sql(*worktime)}")
    for i, created in enumerate(ranges):
        select = str(ibis.to_sql(deal_progress(backend, created, worktime)))
        engine.execute(f"{derived_activity.into(DEAL_PROGRESS, first=i == 0)} {select}")
    select = str(ibis.to_sql(deal_stage_stays(backend)))
    engine.execute(f"DROP TABLE IF EXISTS {DEAL_STAGE_STAYS}")
    engine.execute(f"CREATE TABLE {DEAL_STAGE_STAYS} AS {select}")
    if engine.name == "postgres":
        # PostgreSQL has no zone maps: BRIN indexes on the stored created_at order play their part
        # for a period's deals and stays (the stored months below, a report's period).
        for name in (DEAL_PROGRESS, DEAL_STAGE_STAYS):
            engine.execute(f"CREATE INDEX {name}_created ON {name} USING brin (created_at)")
    derived_open.refresh(engine)  # reads deal_progress
    progress_schema = deal_progress(backend, worktime=worktime).schema()
    closes_schema = {name: progress_schema[name] for name in derived_open.CLOSED_DEALS_COLUMNS}
    derived_metrics.refresh(engine,  # reads deal_progress, deal_stage_stays and closed_deals
                            ibis.table(progress_schema, DEAL_PROGRESS),
                            ibis.table(deal_stage_stays(backend).schema(), DEAL_STAGE_STAYS),
                            ibis.table(closes_schema, derived_open.CLOSED_DEALS))
    derived_funnel.refresh(engine)  # reads deal_progress
    derived_days.refresh(engine)
    derived_activity.refresh(engine)
