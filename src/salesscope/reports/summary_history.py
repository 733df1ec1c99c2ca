"""Open deals per owner at each local week end: the workload history of the consolidated report.

A deal is open at instant T when it was created before T and not closed before T, so
``open(T) = created before T − closed before T``. One Ibis aggregate counts creations and closings
per owner and local week (weeks before the first one collapsed into one bucket); running sums give
every week end. Deleted deals are left out at every week: the warehouse does not know when they
were deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from salesscope.reports.activity_cache import compiled_arrow, scope_key
from salesscope.reports.filters import Scope, deal_filter
from salesscope.reports.local_time import local_date, local_week_index, monday_of, utc_of_local
from salesscope.reports.summary_counts import undated
from salesscope.warehouse.store import Warehouse


@dataclass(frozen=True)
class WeekEnd:
    """The end of a local week: Sunday 24:00, i.e. the next Monday 00:00 local."""

    sunday: dt.date

    @property
    def label(self) -> str:
        year, week, _ = self.sunday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def next_monday(self) -> dt.date:
        return self.sunday + dt.timedelta(days=1)


def week_ends(wh: Warehouse, scope: Scope, now_utc: dt.datetime) -> list[WeekEnd]:
    """Week ends within the period (all time: from the first deal) that have passed by now."""
    period = scope.filters.period
    today = local_date(now_utc, scope.timezone)
    if period is not None and period.start > dt.date(1970, 1, 1):
        first = period.start
    else:
        def earliest() -> ir.Table:
            t = deal_filter(wh.table("deal_progress"), undated(scope))
            return t.aggregate(first=t.created_at.min())

        found = compiled_arrow(wh, ("summary earliest", scope_key(scope)), earliest)["first"][0].as_py()
        if found is None:
            return []
        first = local_date(found, scope.timezone)
    last = min(period.end, today) if period is not None else today
    monday = monday_of(first) + dt.timedelta(days=7)  # the first week end after `first` starts
    ends = []
    while monday <= last and utc_of_local(monday, scope.timezone) <= now_utc:
        ends.append(WeekEnd(monday - dt.timedelta(days=1)))
        monday += dt.timedelta(days=7)
    return ends


def open_by_week(
    wh: Warehouse, scope: Scope, ends: list[WeekEnd]
) -> dict[Any, list[tuple[int, float]]]:
    """Per owner, (open deals, open amount) at each of ``ends`` (consecutive weeks)."""
    if not ends:
        return {}
    first_monday = ends[0].next_monday - dt.timedelta(days=7)
    start = utc_of_local(first_monday, scope.timezone)
    end = utc_of_local(ends[-1].next_monday, scope.timezone)
    k = len(ends)
    t = deal_filter(wh.table("deal_progress"), undated(scope))

    def weekly(column: str, sign: int) -> Any:
        dated = t.filter(t[column].notnull())
        at = dated[column]
        inside = local_week_index(at, scope.timezone, first_monday, start - _DAY, end + _DAY)
        week = ibis.cases((at < start, -1), (at >= end, k), else_=inside)
        return dated.select(owner_id=dated.owner_id, week=week, sign=ibis.literal(sign),
                            amount=dated.amount)

    def counts() -> ir.Table:
        moves = weekly("created_at", 1).union(weekly("closed_at", -1))
        return moves.group_by(["owner_id", "week", "sign"]).aggregate(
            deals=moves.count(), amount=moves.amount.sum().cast("float64"))

    counted = compiled_arrow(wh, ("summary weeks", scope_key(scope), scope.timezone, first_monday, k), counts)
    return _running_totals(counted, k)


_DAY = dt.timedelta(days=1)
_NO_OWNER = -(2**62)


def _running_totals(counted: pa.Table, k: int) -> dict[Any, list[tuple[int, float]]]:
    """Open deals at each week end ``j`` (1..k): the moves of weeks 0..j-1 and of every week
    before week 0 (bucket -1); moves of week k (and later) happen after the last week end."""
    owners = np.asarray(counted["owner_id"].fill_null(_NO_OWNER).to_numpy(), dtype=np.int64)
    week = np.asarray(counted["week"].to_numpy(), dtype=np.int64)
    sign = np.asarray(counted["sign"].to_numpy(), dtype=np.int64)
    deals = np.asarray(counted["deals"].to_numpy(), dtype=np.int64) * sign
    amount = np.nan_to_num(np.asarray(counted["amount"].to_numpy(zero_copy_only=False),
                                      dtype=np.float64)) * sign
    keep = week < k
    ids, row = np.unique(owners[keep], return_inverse=True)
    count_cells = np.zeros((len(ids), k + 1), dtype=np.int64)
    money_cells = np.zeros((len(ids), k + 1), dtype=np.float64)
    np.add.at(count_cells, (row, week[keep] + 1), deals[keep])
    np.add.at(money_cells, (row, week[keep] + 1), amount[keep])
    open_deals = np.cumsum(count_cells, axis=1)[:, 1:]
    open_amount = np.round(np.cumsum(money_cells, axis=1)[:, 1:], 2)
    return {
        (None if owner == _NO_OWNER else int(owner)):
            list(zip(open_deals[i].tolist(), open_amount[i].tolist(), strict=True))
        for i, owner in enumerate(ids.tolist())
    }
