"""The funnel --by manager's column-wise layout against the row-wise arithmetic it replaced.

Manager rows are built from numpy matrices, averages in integer cents and drills by text
substitution (``reports.funnel``, ``reports.funnel_manager_counts``); these tests hold each
shortcut to the plain computation: the ``Decimal`` rounding of averages, the cents read from
Arrow decimals, and every manager row against the plain funnel of that manager alone (a separate
code path), on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from urllib.parse import parse_qsl

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.reports.funnel import _averaged_counts, _averaged_money
from salesscope.reports.funnel_manager_counts import _cents
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.funnel import account


def _decimal_money(cents: int, divisor: int) -> float:
    """What the funnel computed before: the exact Decimal sum divided, rounded to cents."""
    return float(round(Decimal(cents).scaleb(-2) / divisor, 2))


@given(st.integers(-(10**15), 10**15), st.integers(1, 10_000))
def test_averaged_money_rounds_as_decimal_does(cents: int, divisor: int) -> None:
    got = _averaged_money(np.array([[cents]], dtype=np.int64), [divisor])
    assert got.tolist() == [_decimal_money(cents, divisor)]


def test_averaged_money_ties_go_to_even_cents() -> None:
    # 0.025 -> 0.02 and 0.075 -> 0.08 (half to even), -0.025 -> -0.02, 1.00 / 3 -> 0.33.
    cents = np.array([[5, 15, -5, 100]], dtype=np.int64)
    got = _averaged_money(cents.reshape(4, 1), [2, 2, 2, 3])
    assert got.tolist() == [0.02, 0.08, -0.02, 0.33]
    assert got.tolist() == [_decimal_money(c, d) for c, d in ((5, 2), (15, 2), (-5, 2), (100, 3))]


def test_averaged_counts_are_pythons_round() -> None:
    counts = np.array([[7, 1], [5, 0]], dtype=np.int64)
    got = _averaged_counts(counts, [3, 1]).to_pylist()
    assert got == [round(7 / 3, 2), round(1 / 3, 2), 5.0, 0.0]


def test_cents_reads_sliced_decimals_exactly() -> None:
    amounts = pa.array([Decimal("1.23"), None, Decimal("-4.50"), Decimal("92233720368547.75")],
                       pa.decimal128(38, 2))
    assert _cents(pa.chunked_array([amounts.slice(1)])).tolist() == [0, -450, 9223372036854775]
    assert _cents(pa.chunked_array([amounts.slice(0, 1), amounts.slice(2)])).tolist() == [
        123, -450, 9223372036854775]


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse(account.tables())


@pytest.mark.parametrize("period", [Period.parse("2026-05"), None])
def test_every_manager_row_is_that_managers_own_funnel(wh: Warehouse, period: Period | None) -> None:
    by_manager = registry.run(wh, "funnel", Filters(period=period, by="manager")).rows
    managers = [r for r in by_manager if r["row_kind"] == "manager"]
    assert managers
    for row in managers:
        own = registry.run(wh, "funnel", Filters(period=period, pipelines=(row["pipeline"],),
                                                 managers=(str(row["manager_id"]),))).rows
        mine = own[row["stage_order"] - 1]
        assert mine["stage"] == row["stage"]
        for column in ("reached", "reached_amount", "lost", "lost_amount",
                       "conversion_from_previous", "conversion_from_first"):
            assert row[column] == mine[column], (column, row, mine)
        # The drill lists exactly this manager's deals that reached the stage.
        assert row["drill"] == mine["drill"]
        assert dict(parse_qsl(row["drill"]))["manager"] == str(row["manager_id"])


def test_team_average_rows_average_their_managers(wh: Warehouse) -> None:
    rows = registry.run(wh, "funnel", Filters(period=Period.parse("2026-05"), by="manager")).rows
    teams = [r for r in rows if r["row_kind"] == "team_average"]
    assert teams
    for team in teams:
        members = [r for r in rows if r["row_kind"] == "manager" and r["team"] == team["team"]
                   and r["pipeline"] == team["pipeline"]]
        with_deals = {r["manager_id"] for r in members if r["stage_order"] == 1 and r["reached"]}
        at_stage = [r for r in members if r["stage"] == team["stage"]
                    and r["manager_id"] in with_deals]
        n = max(len(with_deals), 1)
        assert team["reached"] == round(sum(r["reached"] for r in at_stage) / n, 2)
        assert team["lost_amount"] == _decimal_money(
            sum(round(r["lost_amount"] * 100) for r in at_stage), n)
        assert dict(parse_qsl(team["drill"]))["team"].isdigit()


def test_funnel_progress_is_deal_progress_collapsed(wh: Warehouse) -> None:
    keys = ("pipeline_id", "owner_id", "max_open_sort", "outcome", "last_open_stage_id")
    want: dict[tuple[object, ...], list[object]] = {}
    for deal in wh.table("deal_progress").to_pyarrow().to_pylist():
        if not deal["deleted"]:
            cell = want.setdefault(tuple(deal[k] for k in keys), [0, Decimal(0)])
            cell[0] += 1
            cell[1] += deal["amount"]
    got = {tuple(r[k] for k in keys): [r["deals"], r["amount"]]
           for r in wh.table("funnel_progress").to_pyarrow().to_pylist()}
    assert len(want) > 5
    assert got == want


@pytest.mark.parametrize("filters", [
    Filters(by="manager"),
    Filters(pipelines=("Sales",), teams=("Alpha",), by="manager"),
    Filters(managers=("anna",), by="manager"),
])
def test_all_time_from_funnel_progress_equals_a_scan_of_every_deal(
    wh: Warehouse, filters: Filters
) -> None:
    # A period wider than the data makes the funnel group deal_progress itself.
    everything = replace(filters, period=Period.between("2000-01-01", "2099-12-31"))
    fast = registry.run(wh, "funnel", filters).table.drop_columns(["drill"])
    scanned = registry.run(wh, "funnel", everything).table.drop_columns(["drill"])
    assert fast.num_rows > 0
    assert fast.equals(scanned)
