"""The consolidated report's counting: per owner, one Ibis query of six small aggregates.

Each number is its own narrow aggregate — deals created in the period, deals closed in it (by
outcome), deals open now, contacts created, tasks open (overdue or not), tasks completed — so
every scan filters first (a period skips whole row groups of the time-ordered ``deal_progress``)
instead of one full scan evaluating conditional aggregates (measured ~3x slower on 1M deals). The
aggregates are unioned into one query: one compilation, one round trip.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from salesscope.reports.activity_cache import compiled_arrow, scope_key
from salesscope.reports.filters import Scope, deal_filter
from salesscope.warehouse.store import Warehouse

ZERO = Decimal(0)


@dataclass(frozen=True)
class OwnerNumbers:
    """Everything the consolidated report counts for one owner (or a group of them)."""

    deals_created: int = 0
    won: int = 0
    won_amount: Decimal = ZERO
    lost: int = 0
    lost_amount: Decimal = ZERO
    open_deals: int = 0
    open_amount: Decimal = ZERO
    contacts_created: int = 0
    tasks_open: int = 0
    tasks_overdue: int = 0
    tasks_completed: int = 0

    def __add__(self, other: OwnerNumbers) -> OwnerNumbers:
        return OwnerNumbers(*(getattr(self, f) + getattr(other, f) for f in _NUMBER_FIELDS))

    @classmethod
    def total(cls, parts: Iterable[OwnerNumbers | None]) -> OwnerNumbers:
        """The sum of ``parts`` (None: an owner without numbers), field by field in one pass."""
        sums: list[Any] = [getattr(ZERO_NUMBERS, name) for name in _NUMBER_FIELDS]
        for part in parts:
            if part is not None:
                for i, name in enumerate(_NUMBER_FIELDS):
                    sums[i] += getattr(part, name)
        return cls(*sums)

    def is_zero(self) -> bool:
        return not any(getattr(self, f) for f in _NUMBER_FIELDS)


_NUMBER_FIELDS = tuple(f.name for f in dataclasses.fields(OwnerNumbers))
ZERO_NUMBERS = OwnerNumbers()


def undated(scope: Scope) -> Scope:
    """The same scope without its period (for "now" numbers)."""
    return dataclasses.replace(scope, start_utc=None, end_utc=None)


def in_period(column: ir.TimestampValue, scope: Scope) -> ir.BooleanValue:
    """Whether a timestamp lies in the scope's period (any non-null one without a period)."""
    if scope.start_utc is None or scope.end_utc is None:
        return column.notnull()
    return (column >= scope.start_utc) & (column < scope.end_utc)


def owner_numbers(wh: Warehouse, scope: Scope, now_utc: dt.datetime | None) -> dict[Any, OwnerNumbers]:
    """Per owner id (None for deals without an owner): every number of the consolidated report.

    A task is overdue when due before ``now_utc``; None means as of the data (the newest finished
    sync, ``Warehouse.data_as_of``), read by the query itself so that its SQL stays the same after a
    sync and is not compiled again.
    """
    parts: dict[Any, dict[str, Any]] = {}
    key = ("summary measures", scope_key(scope), now_utc)
    columns = compiled_arrow(wh, key, lambda: _measures(wh, scope, now_utc)).to_pydict()
    for owner, measure, deals, amount in zip(columns["owner_id"], columns["measure"],
                                             columns["deals"], columns["amount"], strict=True):
        mine = parts.get(owner)
        if mine is None:
            mine = parts[owner] = {}
        for count, money in _FIELDS[measure]:
            mine[count] = mine.get(count, 0) + deals
            if money and amount is not None:
                mine[money] = mine.get(money, ZERO) + amount
    return {owner: OwnerNumbers(**values) for owner, values in parts.items()}


# measure -> the OwnerNumbers fields it adds to: (count field, amount field or "")
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "created": (("deals_created", ""),),
    "won": (("won", "won_amount"),),
    "lost": (("lost", "lost_amount"),),
    "open": (("open_deals", "open_amount"),),
    "contacts": (("contacts_created", ""),),
    "task_open": (("tasks_open", ""),),
    "task_overdue": (("tasks_open", ""), ("tasks_overdue", "")),
    "task_done": (("tasks_completed", ""),),
}


def _part(t: ir.Table, measure: str | None = None, by: str | None = None, amount: bool = False
          ) -> ir.Table:
    """One aggregate in the common shape (owner_id, measure, deals, amount): ``measure`` names it,
    or ``by`` is a column whose value does (aggregating first keeps compilation cheap)."""
    keys = ["owner_id", *([by] if by else [])]
    counted = t.group_by(keys).aggregate(
        deals=t.count(),
        amount=(t.amount.sum() if amount else ibis.null()).cast("decimal(18, 2)"),
    )
    named = counted[by].cast("string") if by else ibis.literal(measure)
    return counted.select("owner_id", measure=named, deals=counted.deals, amount=counted.amount)


def _moment(wh: Warehouse, now_utc: dt.datetime | None) -> ir.Value:
    """``now_utc``, or (None) the newest finished sync as a scalar subquery."""
    if now_utc is not None:
        return ibis.literal(now_utc)
    return wh.table("sync_state").finished_at.max().as_scalar()


def _measures(wh: Warehouse, scope: Scope, now_utc: dt.datetime | None) -> ir.Table:
    progress = wh.table("deal_progress")
    every = deal_filter(progress, undated(scope))
    closed = every.filter(every.outcome != "open", in_period(every.closed_at, scope))
    contacts = wh.table("contacts")
    contacts = _owned(contacts.filter(~contacts.deleted, in_period(contacts.created_at, scope)),
                      "owner_id", scope)
    tasks = wh.table("tasks")
    # A task deleted in the CRM is no open task and no completion; its actions (task_created,
    # task_completed) still count in the activity reports, which read activities, not tasks.
    tasks = _owned(tasks.filter(~tasks.deleted), "owner_id", scope)
    still_open = tasks.filter(tasks.completed_at.isnull())
    still_open = still_open.mutate(state=ibis.ifelse(still_open.due_at < _moment(wh, now_utc),
                                                     "task_overdue", "task_open"))
    parts = [
        _part(deal_filter(progress, scope), "created"),
        _part(closed, by="outcome", amount=True),
        _part(every.filter(every.outcome == "open"), "open", amount=True),
        _part(contacts, "contacts"),
        _part(still_open, by="state"),
        _part(tasks.filter(in_period(tasks.completed_at, scope)), "task_done"),
    ]
    return ibis.union(*parts)


def _owned(t: ir.Table, column: str, scope: Scope) -> ir.Table:
    if scope.owner_ids is None:
        return t
    return t.filter(t[column].isin(scope.owner_ids or (-1,)))
