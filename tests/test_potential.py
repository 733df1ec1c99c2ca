"""The potential report against the hand-computed account in fixtures/potential, on every engine.

The arithmetic of every expected row is written out in ``fixtures/potential/account.py``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from salesscope.reports import drill, registry
from salesscope.reports.deal_list import deal_list
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from fixtures.potential import account
from fixtures.summary.engines import ENGINES, shared_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "potential"
MAY = Period.parse("2026-05")
SALES_MAY = Filters(period=MAY, pipelines=("Sales",))


def expected(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def check_row(actual: dict[str, Any], want: dict[str, str]) -> None:
    """Compare one report row with one expected CSV row (rates written as fractions a/b)."""
    for key, text in want.items():
        got = actual[key]
        if text == "":
            assert got is None, (key, actual)
        elif "/" in text:
            num, den = text.split("/")
            assert got == pytest.approx(float(Fraction(int(num), int(den))), abs=1e-12), (key, actual)
        elif isinstance(got, (int, float)) and not isinstance(got, bool):
            assert got == pytest.approx(float(text), abs=0.005), (key, actual)
        else:
            assert str(got) == text, (key, actual)


def by_key(rows: list[dict[str, Any]], name: str = "manager") -> dict[tuple[str, str], dict[str, Any]]:
    return {(r[name], r["stage"]): r for r in rows}


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """One warehouse per engine: every test here only reads it."""
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def test_every_column_against_the_company_median(wh: Warehouse) -> None:
    rows = registry.run(wh, "potential", SALES_MAY).rows
    want = expected("expected_may.csv")
    assert [(r["manager"], r["stage"]) for r in rows] == [(w["manager"], w["stage"]) for w in want]
    for actual, row in zip(rows, want, strict=True):
        check_row(actual, row)
    assert {r["pipeline"] for r in rows} == {"Sales"}


def test_every_column_against_the_team_median(wh: Warehouse) -> None:
    filters = SALES_MAY.with_options(against="team")
    rows = registry.run(wh, "potential", filters).rows
    want = expected("expected_may_against_team.csv")
    assert len(rows) == len(want)
    for actual, row in zip(rows, want, strict=True):
        check_row(actual, row)


def test_few_deals_shrink_toward_the_median(wh: Warehouse) -> None:
    rows = by_key(registry.run(wh, "potential", SALES_MAY).rows)
    hanna = rows[("Hanna Melnyk", "S1")]
    # Three deals, none won: the raw gap is the whole potential, the shrunk one 3/13 of it.
    assert hanna["gap"] == pytest.approx(918.75)
    assert hanna["shrunk_gap"] == pytest.approx(918.75 * 3 / 13, abs=0.005)
    anna = rows[("Anna Shevchuk", "S1")]
    # Ten deals: half the gap is kept (10 / (10 + 10)).
    assert anna["shrunk_gap"] == pytest.approx(anna["gap"] / 2)
    unshrunk = by_key(registry.run(wh, "potential", SALES_MAY.with_options(prior=0.0)).rows)
    for key, row in unshrunk.items():
        if row["row_kind"] == "manager":
            assert row["shrunk_conversion"] == pytest.approx(row["conversion"]), key
            assert row["shrunk_gap"] == pytest.approx(row["gap"], abs=0.005), key
    # A heavier prior pulls harder: K = 30 keeps 3/33 of Hanna's gap.
    heavy = by_key(registry.run(wh, "potential", SALES_MAY.with_options(prior=30.0)).rows)
    assert heavy[("Hanna Melnyk", "S1")]["shrunk_gap"] == pytest.approx(918.75 * 3 / 33, abs=0.005)


def test_per_channel_held_to_the_managers_median(wh: Warehouse) -> None:
    rows = registry.run(wh, "potential", Filters(period=MAY, pipelines=("Sales",), by="channel")).rows
    assert [r["channel"] for r in rows if r["stage_order"] == 1] == ["(none)", "google", "website form", "All"]
    got = by_key(rows, "channel")
    check_row(got[("google", "S1")], {
        "row_kind": "channel", "reached": "4", "won": "3", "revenue": "5000", "conversion": "3/4",
        "median_conversion": "1/4", "shrunk_conversion": "11/28", "average_check": "1666.67",
        "potential": "1666.67", "gap": "-3333.33", "shrunk_gap": "-952.38",
    })
    assert [got[("google", s)]["reached"] for s in ("S1", "S2", "Proposal")] == [4, 3, 3]
    check_row(got[("website form", "S1")], {
        "reached": "2", "won": "1", "revenue": "1000", "potential": "500", "gap": "-500",
        "shrunk_gap": "-83.33", "shrunk_conversion": "7/24",
    })
    check_row(got[("(none)", "S1")], {
        "reached": "23", "won": "4", "revenue": "3800", "conversion": "4/23", "average_check": "950",
        "potential": "5462.5", "gap": "1662.5", "shrunk_conversion": "13/66", "shrunk_gap": "1158.71",
    })
    assert [got[("(none)", s)]["reached"] for s in ("S1", "S2", "Proposal")] == [23, 16, 10]
    check_row(got[("All", "S1")], {
        "row_kind": "total", "reached": "29", "won": "8", "revenue": "9800", "conversion": "8/29",
        "median_conversion": "1/4", "shrunk_conversion": "", "average_check": "1225",
        "potential": "7629.17", "gap": "-2170.83",
    })


def test_manager_filter_keeps_the_medians_of_everyone(wh: Warehouse) -> None:
    rows = registry.run(wh, "potential", Filters(period=MAY, pipelines=("Sales",), managers=("Borys",))).rows
    assert [r["manager"] for r in rows if r["stage_order"] == 1] == [
        "Borys Ivanenko", "Team total: Alpha", "Company total"]
    borys = by_key(rows)[("Borys Ivanenko", "S1")]
    assert borys["median_conversion"] == pytest.approx(0.25) and borys["gap"] == pytest.approx(1500)


def test_manager_without_deals_gets_zero_rows(wh: Warehouse) -> None:
    july = Filters(period=Period.parse("2026-07"), pipelines=("Sales",), managers=("Hanna",))
    rows = [r for r in registry.run(wh, "potential", july).rows if r["row_kind"] == "manager"]
    assert [(r["reached"], r["won"], r["potential"], r["conversion"], r["median_conversion"])
            for r in rows] == [(0, 0, None, None, None)] * 3
    unshrunk = registry.run(wh, "potential", july.with_options(prior=0.0)).rows
    assert all(r["shrunk_conversion"] is None for r in unshrunk)


def test_all_time_and_every_pipeline(wh: Warehouse) -> None:
    rows = registry.run(wh, "potential", Filters()).rows
    assert [p for p in dict.fromkeys(r["pipeline"] for r in rows)] == ["Sales", "Other"]
    sales = by_key([r for r in rows if r["pipeline"] == "Sales"])
    # Deal 40 (April, won 5000) joins Anna's cohort; deleted deal 41 stays out of Borys's.
    anna = sales[("Anna Shevchuk", "S1")]
    assert (anna["reached"], anna["won"], anna["revenue"]) == (11, 5, 9000)
    assert sales[("Borys Ivanenko", "S1")]["won"] == 1
    other = [r for r in rows if r["pipeline"] == "Other"]
    # Only Anna sells in Other: one deal, won for 700; she is her own median, so the gap is 0.
    assert [(r["manager"], r["stage"], r["reached"], r["won"], r["revenue"], r["potential"], r["gap"])
            for r in other] == [("Anna Shevchuk", "O1", 1, 1, 700, 700, 0),
                                ("Team total: Alpha", "O1", 1, 1, 700, 700, 0),
                                ("Company total", "O1", 1, 1, 700, 700, 0)]


def test_every_row_drills_to_the_deals_it_counts(wh: Warehouse) -> None:
    for filters in (SALES_MAY, SALES_MAY.with_options(against="team"),
                    Filters(period=MAY, pipelines=("Sales",), by="channel")):
        for row in registry.run(wh, "potential", filters).rows:
            listed = deal_list(wh, *drill.parse(row["drill"])).rows
            assert len(listed) == row["reached"], row
            won = [d for d in listed if d["status"] == "won"]
            assert (len(won), sum(d["amount"] for d in won)) == (row["won"], row["revenue"]), row
            for column in ("won", "revenue"):  # these numbers open just the wins
                wins = deal_list(wh, *drill.parse(drill.for_column("potential", column, row["drill"]))).rows
                assert sorted(d["deal_id"] for d in wins) == sorted(d["deal_id"] for d in won), (column, row)


@pytest.mark.parametrize(
    ("filters", "fragment"),
    [
        (SALES_MAY.with_options(against="region"), "unknown --against 'region'; valid: company, team"),
        (SALES_MAY.with_options(prior=-1.0), "negative --prior '-1.0'"),
        (Filters(by="team"), "unknown grouping 'team'; valid: manager, channel"),
    ],
)
def test_bad_options_name_the_value_and_the_choices(wh: Warehouse, filters: Filters, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        registry.run(wh, "potential", filters)
    assert fragment in str(caught.value)


def test_definitions_and_units_travel_with_the_numbers(wh: Warehouse) -> None:
    result = registry.run(wh, "potential", SALES_MAY)
    assert result.column("potential").unit == "UAH" and result.column("gap").type == "money"
    assert "median" in result.definitions["potential"]
    assert "empirical-Bayes" in result.definitions["shrunk_conversion"]
