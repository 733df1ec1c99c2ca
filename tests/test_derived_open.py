"""The consolidated report's derived tables (open_deals, closed_deals, open_tasks, contact_days,
task_done_days, deal_move_days) against the same computation from the canonical tables, on DuckDB
and PostgreSQL, and the summary's numbers read from them against a count of the canonical rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from salesscope.reports import summary
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.period import Period
from salesscope.reports.summary_counts import OwnerNumbers, owner_numbers
from salesscope.reports.summary_history import open_series, week_ends
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

from fixtures.summary import account
from fixtures.summary.engines import ENGINES, shared_warehouse

MAY = Period.parse("2026-05")


def _tables() -> dict[str, pa.Table]:
    """The summary fixture plus the edge cases the derived tables must keep apart: a won deal
    without closed_at, deleted tasks (open and completed), a task and a contact without an
    owner, a completed task and a contact just after local midnight (UTC still the day before)."""
    tables = account.tables()
    deals = [{**d, "source": "site"} for d in tables["deals"].to_pylist()]
    deals.append({**deals[0], "id": 90, "stage_id": account.WON, "closed_at": None,
                  "owner_id": account.VIRA, "amount": Decimal("7.50"), "deleted": False})
    tasks = tables["tasks"].to_pylist()
    base = tasks[0]
    done = account.utc("2026-05-01 00:30")
    tasks += [
        {**base, "id": 901, "completed_at": None, "deleted": True},
        {**base, "id": 902, "completed_at": done, "deleted": True},
        {**base, "id": 903, "completed_at": None, "owner_id": None},
        {**base, "id": 904, "completed_at": done, "owner_id": account.HLIB},
    ]
    contacts = tables["contacts"].to_pylist()
    contacts += [
        {**contacts[0], "id": 901, "owner_id": None, "deleted": False},
        {**contacts[0], "id": 902, "owner_id": account.HLIB,
         "created_at": account.utc("2026-06-01 00:05"), "deleted": False},
    ]
    return {**tables, "deals": rows_to_arrow("deals", deals), "tasks": rows_to_arrow("tasks", tasks),
            "contacts": rows_to_arrow("contacts", contacts)}


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, _tables)


def _rows(wh: Warehouse, name: str) -> list[dict[str, Any]]:
    return wh.table(name).to_pyarrow().to_pylist()


def _kind(wh: Warehouse) -> dict[int, str]:
    return {r["id"]: r["kind"] for r in _rows(wh, "stages")}


_DEAL_KEYS = ("pipeline_id", "owner_id", "created_at", "closed_at", "amount", "source",
              "utm_source", "tags", "deleted")


def _deal(row: dict[str, Any], id_key: str) -> tuple[Any, ...]:
    return (row[id_key], *(tuple(row[k] or ()) if k == "tags" else row[k] for k in _DEAL_KEYS))


def test_open_and_closed_deals_split_the_deals_by_their_current_stage(wh: Warehouse) -> None:
    kind = _kind(wh)
    deals = _rows(wh, "deals")
    for table, wanted in (("open_deals", ("open",)), ("closed_deals", ("won", "lost"))):
        expected = sorted(_deal(d, "id") for d in deals if kind[d["stage_id"]] in wanted)
        assert sorted(_deal(r, "deal_id") for r in _rows(wh, table)) == expected, table
    outcomes = {r["deal_id"]: r["outcome"] for r in _rows(wh, "closed_deals")}
    assert outcomes == {d["id"]: kind[d["stage_id"]] for d in deals
                        if kind[d["stage_id"]] != "open"}
    assert outcomes[90] == "won"


def test_open_tasks_are_the_tasks_neither_completed_nor_deleted(wh: Warehouse) -> None:
    expected = sorted((t["id"], t["owner_id"], t["due_at"]) for t in _rows(wh, "tasks")
                      if t["completed_at"] is None and not t["deleted"])
    got = sorted((r["task_id"], r["owner_id"], r["due_at"]) for r in _rows(wh, "open_tasks"))
    assert got == expected
    assert 903 in {r[0] for r in got} and 901 not in {r[0] for r in got}


def _local_day(at: dt.datetime) -> dt.date:
    return at.replace(tzinfo=dt.UTC).astimezone(account.KYIV).date()


def test_day_tables_count_per_owner_and_local_day(wh: Warehouse) -> None:
    contacts = Counter((_local_day(c["created_at"]), c["owner_id"]) for c in _rows(wh, "contacts")
                       if not c["deleted"])
    tasks = Counter((_local_day(t["completed_at"]), t["owner_id"]) for t in _rows(wh, "tasks")
                    if t["completed_at"] is not None and not t["deleted"])
    assert {(r["day"], r["owner_id"]): r["contacts"] for r in _rows(wh, "contact_days")} == contacts
    assert {(r["day"], r["owner_id"]): r["tasks"] for r in _rows(wh, "task_done_days")} == tasks
    # Just after local midnight, the day before in UTC: counted on the local day (the fixture's
    # contact 6 at 00:10 and ours at 00:05).
    assert contacts[(dt.date(2026, 6, 1), account.HLIB)] == 2
    assert tasks[(dt.date(2026, 5, 1), account.HLIB)] == 1


def _expected(wh: Warehouse, period: Period | None) -> dict[Any, OwnerNumbers]:
    """Every number of the consolidated report counted from the canonical rows."""
    start, end = period.utc_bounds("Europe/Kyiv") if period else (dt.datetime.min, dt.datetime.max)
    kind = _kind(wh)
    parts: dict[Any, dict[str, Any]] = {}

    def add(owner: Any, field: str, value: Any = 1) -> None:
        mine = parts.setdefault(owner, {})
        mine[field] = mine.get(field, 0) + value

    for d in _rows(wh, "deals"):
        if d["deleted"]:
            continue
        if start <= d["created_at"] < end:
            add(d["owner_id"], "deals_created")
        outcome = kind[d["stage_id"]]
        if outcome == "open":
            add(d["owner_id"], "open_deals")
            add(d["owner_id"], "open_amount", d["amount"])
        elif d["closed_at"] is not None and start <= d["closed_at"] < end:
            add(d["owner_id"], outcome)
            add(d["owner_id"], f"{outcome}_amount", d["amount"])
    for c in _rows(wh, "contacts"):
        if not c["deleted"] and start <= c["created_at"] < end:
            add(c["owner_id"], "contacts_created")
    for t in _rows(wh, "tasks"):
        if t["deleted"]:
            continue
        if t["completed_at"] is None:
            add(t["owner_id"], "tasks_open")
            if t["due_at"] < account.AS_OF:
                add(t["owner_id"], "tasks_overdue")
        elif start <= t["completed_at"] < end:
            add(t["owner_id"], "tasks_completed")
    return {owner: OwnerNumbers(**values) for owner, values in parts.items()}


@pytest.mark.parametrize("sources", [(), ("site",)], ids=["per day", "per deal"])
@pytest.mark.parametrize("period", [None, MAY], ids=["all time", "May"])
def test_summary_numbers_equal_the_canonical_count(wh: Warehouse, period: Period | None,
                                                   sources: tuple[str, ...]) -> None:
    """Every deal has the source "site": with it, deals are read one by one (closed_deals,
    deal_progress); without, as moves per day (deal_move_days). Both equal the canonical count."""
    scope = resolve(wh, Filters(period=period, sources=sources), summary.SPEC.groupings)
    got = {o: n for o, n in owner_numbers(wh, scope, None).items() if not n.is_zero()}
    assert got == _expected(wh, period)
    if period is None:  # the won deal without closed_at: created (all time), never won
        assert got[account.VIRA].deals_created == _expected(wh, None)[account.VIRA].deals_created


def test_deal_move_days_sum_the_moves_per_local_day(wh: Warehouse) -> None:
    kind = _kind(wh)
    expected: dict[tuple[Any, ...], list[Any]] = {}
    for d in _rows(wh, "deals"):
        if d["deleted"]:
            continue
        for column, sign, outcome in (("created_at", 1, None),
                                      ("closed_at", -1, kind[d["stage_id"]])):
            if d[column] is not None:
                cell = expected.setdefault(
                    (_local_day(d[column]), d["owner_id"], d["pipeline_id"], sign, outcome),
                    [0, None])
                cell[0] += 1
                if d["amount"] is not None:
                    cell[1] = (cell[1] or 0) + d["amount"]
    got = {(r["day"], r["owner_id"], r["pipeline_id"], r["sign"], r["outcome"]):
           [r["deals"], r["amount"]] for r in _rows(wh, "deal_move_days")}
    assert got == expected


@pytest.mark.parametrize("period", [Period.between("2026-04-01", "2026-06-14"), None],
                         ids=["weeks", "all time"])
def test_weeks_from_day_counts_equal_weeks_from_every_deal(wh: Warehouse, period: Period | None
                                                           ) -> None:
    """Every deal has the source "site": the source filter reads deal_progress deal by deal,
    no filter reads deal_move_days, and both must give the same open deals at every week end."""
    plain = resolve(wh, Filters(period=period), summary.SPEC.groupings)
    sourced = resolve(wh, Filters(period=period, sources=("site",)), summary.SPEC.groupings)
    ends = week_ends(wh, plain, account.AS_OF)
    assert len(ends) >= 10
    by_day, by_deal = open_series(wh, plain, ends), open_series(wh, sourced, ends)
    assert by_day.owners == by_deal.owners
    assert by_day.deals.tolist() == by_deal.deals.tolist()
    assert by_day.amount.tolist() == by_deal.amount.tolist()
    assert by_day.deals.any()
