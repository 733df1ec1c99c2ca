"""The funnel report against hand-computed fixtures, on every engine (DuckDB, PostgreSQL)."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from salesscope.reports import registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.funnel import account

FIXTURES = Path(__file__).parent / "fixtures" / "funnel"
MAY = Period.parse("2026-05")


def expected(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def check_row(actual: dict[str, Any], want: dict[str, str]) -> None:
    """Compare one report row with one expected CSV row (fractions written as a/b)."""
    for key, text in want.items():
        got = actual[key]
        if text == "":
            assert got is None, (key, actual)
        elif "/" in text:
            num, den = text.split("/")
            assert got == pytest.approx(float(Fraction(int(num), int(den)))), (key, actual)
        elif isinstance(got, (int, float)) and not isinstance(got, bool):
            assert got == pytest.approx(float(text), abs=0.005), (key, actual)
        else:
            assert str(got) == text, (key, actual)


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse(account.tables())


def test_every_column_for_may(wh: Warehouse) -> None:
    result = registry.run(wh, "funnel", Filters(period=MAY))
    want = expected("expected_may.csv")
    assert len(result.rows) == len(want)
    for actual, row in zip(result.rows, want, strict=True):
        check_row(actual, row)


def test_by_manager_reads_anna_against_team_and_company(wh: Warehouse) -> None:
    filters = Filters(period=MAY, pipelines=("sales",), managers=("anna",), by="manager")
    result = registry.run(wh, "funnel", filters)
    want = expected("expected_may_by_manager_anna.csv")
    assert [r["manager"] for r in result.rows] == [w["manager"] for w in want]
    for actual, row in zip(result.rows, want, strict=True):
        check_row(actual, row)
    assert {r["manager_id"] for r in result.rows if r["row_kind"] == "manager"} == {account.ANNA}


def test_all_time_includes_the_deals_outside_may(wh: Warehouse) -> None:
    rows = registry.run(wh, "funnel", Filters(pipelines=("Sales",))).rows
    # 13 May deals + deals 13 and 16 (April 30 / June 1 in Kyiv); deleted deal 12 stays out.
    assert rows[0]["reached"] == 15
    assert rows[0]["reached_amount"] == 5683


def test_source_tag_and_team_filters(wh: Warehouse) -> None:
    by_source = registry.run(wh, "funnel", Filters(period=MAY, sources=("Google",))).rows
    assert [r["reached"] for r in by_source] == [1, 1, 1, 1, 1]
    by_form = registry.run(wh, "funnel", Filters(period=MAY, sources=("website form",))).rows
    assert by_form[-1]["reached_amount"] == 1000
    by_tag = registry.run(wh, "funnel", Filters(period=MAY, tags=("vip",))).rows
    assert [r["reached"] for r in by_tag] == [2, 2, 2, 1, 1]
    beta = registry.run(wh, "funnel", Filters(period=MAY, teams=("beta",))).rows
    assert [r["reached"] for r in beta] == [1, 1, 0, 0, 0]


def test_deal_credited_to_current_owner(wh: Warehouse) -> None:
    rows = registry.run(wh, "funnel", Filters(period=MAY, managers=("Borys",))).rows
    assert [r["reached"] for r in rows] == [2, 1, 1, 1, 1]
    assert rows[0]["lost"] == 1 and rows[0]["lost_amount"] == 150


def test_manager_with_no_deals_gets_zero_rows(wh: Warehouse) -> None:
    filters = Filters(period=Period.parse("2026-W30"), pipelines=("Sales",),
                      managers=("Vira Hnatiuk",), by="manager")
    rows = registry.run(wh, "funnel", filters).rows
    mine = [r for r in rows if r["row_kind"] == "manager"]
    assert [r["reached"] for r in mine] == [0, 0, 0, 0, 0]
    assert all(r["conversion_from_first"] is None for r in mine)


@pytest.mark.parametrize(
    ("filters", "fragment"),
    [
        (Filters(managers=("Zenon",)), "unknown manager 'Zenon'; valid: Anna Shevchuk"),
        (Filters(pipelines=("Nope",)), "unknown pipeline 'Nope'; valid: Other, Sales"),
        (Filters(teams=("Gamma",)), "unknown team 'Gamma'; valid: Alpha, Beta"),
        (Filters(by="week"), "unknown grouping 'week'; valid: manager, team, source, pipeline"),
    ],
)
def test_bad_filters_name_the_value_and_the_choices(
    wh: Warehouse, filters: Filters, fragment: str
) -> None:
    with pytest.raises(FilterError) as caught:
        registry.run(wh, "funnel", filters)
    assert fragment in str(caught.value)


def test_meta_carries_filters_freshness_and_definitions(wh: Warehouse) -> None:
    result = registry.run(wh, "funnel", Filters(period=MAY))
    assert result.filters["period"] == {"label": "2026-05", "from": "2026-05-01",
                                        "to": "2026-05-31"}
    assert result.data_as_of is not None and result.data_as_of.isoformat() == "2026-06-15T09:00:00"
    assert "skipped stages count as reached" in result.definitions["reached"]
    assert result.column("reached_amount").unit == "UAH"


def test_by_team_gives_each_team_and_all(wh: Warehouse) -> None:
    rows = registry.run(wh, "funnel", Filters(period=MAY, pipelines=("Sales",), by="team")).rows
    reached = {(r["team"], r["stage"]): r["reached"] for r in rows}
    # Alpha = Anna (10 deals) + Borys (2); Beta = Vira (1).
    assert [reached[("Alpha", s)] for s in ("S1", "S2", "Proposal", "S4", "Won")] == [12, 7, 6, 4, 3]
    assert [reached[("Beta", s)] for s in ("S1", "S2", "Proposal", "S4", "Won")] == [1, 1, 0, 0, 0]
    assert [reached[("All", s)] for s in ("S1", "S2", "Proposal", "S4", "Won")] == [13, 8, 6, 4, 3]
    assert {r["row_kind"] for r in rows} == {"team", "total"}


def test_by_source_keeps_none_apart(wh: Warehouse) -> None:
    rows = registry.run(wh, "funnel", Filters(period=MAY, pipelines=("Sales",), by="source")).rows
    first = {r["source"]: r["reached"] for r in rows if r["stage_order"] == 1}
    assert first == {"(none)": 12, "website form": 1, "All": 13}
    won = {r["source"]: r["reached_amount"] for r in rows if r["stage_kind"] == "won"}
    assert won == {"(none)": 2700, "website form": 1000, "All": 3700}


def test_by_pipeline_is_the_plain_funnel(wh: Warehouse) -> None:
    plain = registry.run(wh, "funnel", Filters(period=MAY)).rows
    assert registry.run(wh, "funnel", Filters(period=MAY, by="pipeline")).rows == plain
