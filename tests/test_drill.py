"""Drill-down: every report row's ``drill`` lists exactly the deals behind its numbers (DuckDB and
PostgreSQL), drill strings round-trip, and ``salesscope deals`` shows them with CRM links."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.reports import drill, registry
from salesscope.reports.deal_list import deal_list
from salesscope.reports.drill import DealListOptions
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from fixtures.funnel import account as funnel_account
from fixtures.goals import account as goals_account
from fixtures.summary.engines import ENGINES, shared_warehouse

MAY = Period.parse("2026-05")


def listed(wh: Warehouse, query: str) -> tuple[int, float]:
    """How many deals a drill string lists, and their total amount."""
    rows = deal_list(wh, *drill.parse(query)).rows
    return len(rows), sum(r["amount"] for r in rows)


# -- funnel ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=ENGINES)
def funnel_wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, funnel_account.tables)


FUNNEL_CASES = [
    Filters(period=MAY),
    Filters(period=MAY, pipelines=("sales",), managers=("anna",), by="manager"),
    Filters(period=MAY, pipelines=("sales",), by="team"),
    Filters(period=MAY, tags=("vip",), by="source"),
]


@pytest.mark.parametrize("filters", FUNNEL_CASES, ids=["plain", "manager", "team", "source"])
def test_every_funnel_row_lists_its_reached_and_lost_deals(funnel_wh: Warehouse, filters: Filters) -> None:
    rows = registry.run(funnel_wh, "funnel", filters).rows
    assert rows
    for row in rows:
        if row.get("row_kind") in ("team_average", "company_average"):
            continue
        assert listed(funnel_wh, row["drill"]) == (row["reached"], row["reached_amount"]), row
        lost = drill.for_column("funnel", "lost", row["drill"])
        assert "lost_at=1" in lost and "reached" not in lost
        assert listed(funnel_wh, lost) == (row["lost"], row["lost_amount"]), row


def test_funnel_average_rows_list_every_deal_averaged(funnel_wh: Warehouse) -> None:
    rows = registry.run(funnel_wh, "funnel", Filters(period=MAY, pipelines=("Sales",), by="manager")).rows
    managers = [r for r in rows if r["row_kind"] == "manager"]
    for row in (r for r in rows if r["row_kind"] != "manager"):
        members = [m for m in managers if m["stage"] == row["stage"]
                   and (row["row_kind"] == "company_average" or m["team"] == row["team"])]
        assert listed(funnel_wh, row["drill"])[0] == sum(m["reached"] for m in members), row


def test_funnel_drill_example_reads_like_the_cli(funnel_wh: Warehouse) -> None:
    rows = registry.run(funnel_wh, "funnel", Filters(period=MAY, managers=("anna",), by="manager")).rows
    proposal = next(r for r in rows if r["manager"] == "Anna Shevchuk" and r["stage"] == "Proposal")
    assert proposal["drill"] == "period=2026-05&pipeline=1&manager=1&stage=13&reached=1"


# -- summary, goals -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=ENGINES)
def sales_wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, goals_account.tables)


SUMMARY_COUNTS = (("deals_created", None), ("won", "won_amount"), ("lost", "lost_amount"),
                  ("open_deals", "open_amount"))


@pytest.mark.parametrize(("period", "by"), [(MAY, None), (None, "team")])
def test_every_summary_count_lists_its_deals(sales_wh: Warehouse, period: Period | None,
                                             by: str | None) -> None:
    rows = registry.run(sales_wh, "summary", Filters(period=period, by=by)).rows
    for row in rows:
        if row["drill"] is None:
            continue  # the (no owner) row: no manager id to filter on
        for count, amount in SUMMARY_COUNTS:
            query = drill.for_column("summary", count, row["drill"])
            n, money = listed(sales_wh, query)
            assert n == row[count], (count, row)
            if amount:
                assert money == row[amount], (amount, row)


def test_summary_stage_and_week_rows_list_their_open_deals(sales_wh: Warehouse) -> None:
    for by in ("stage", "week"):
        for row in registry.run(sales_wh, "summary", Filters(period=MAY, by=by)).rows:
            if row["drill"] is not None:
                assert listed(sales_wh, row["drill"]) == (row["open_deals"], row["open_amount"]), row


def test_every_goal_fact_lists_its_won_deals(sales_wh: Warehouse) -> None:
    rows = registry.run(sales_wh, "goals", Filters()).rows
    for row in rows:
        n, money = listed(sales_wh, drill.for_column("goals", "fact", row["drill"]))
        assert (money if row["metric"] == "won_amount" else n) == row["fact"], row


# -- drill strings --------------------------------------------------------------------------------


def test_query_strings_round_trip() -> None:
    filters = Filters(period=Period.between("2026-05-03", "2026-05-09"), pipelines=("1", "2"),
                      managers=("7",), teams=("Команда Олени",), sources=("google",), tags=("vip",))
    options = DealListOptions(stage="10014", mode="lost_at", status="lost", dated="closed",
                              channel="(none)", crm_source="", no_team=True, limit=5)
    text = drill.query(filters, options)
    assert text.startswith("from=2026-05-03&to=2026-05-09&pipeline=1&pipeline=2&manager=7&team=")
    back_filters, back_options = drill.parse(text)
    assert back_options == options
    assert back_filters.describe() == filters.describe()
    assert drill.parse("?period=2026-05&pipeline=1,2")[0].pipelines == ("1", "2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour=red", "unknown drill key 'colour'; valid: period, from, to"),
        ("period=2026-05&from=2026-05-01", "both period and from/to:"),
        ("reached=1", "reached/lost_at need a stage; missing"),
        ("stage=1&reached=1&lost_at=1", "choose one of 'reached and lost_at'"),
        ("status=pending", "unknown status 'pending'; valid: open, won, lost"),
        ("dated=updated", "unknown dated 'updated'; valid: created, closed"),
        ("open_at=May", "malformed open_at 'May'; valid: a date YYYY-MM-DD"),
        ("period=2026-05&period=2026-06", "repeated period"),
        ("period=2026-5", "unknown period '2026-5'"),
    ],
)
def test_bad_drill_strings_are_named(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        drill.parse(text)
    assert message in str(caught.value)


def test_unknown_column_drill_is_named() -> None:
    with pytest.raises(FilterError, match=r"unknown drill column 'funnel\.stage'; valid: funnel\.lost"):
        drill.for_column("funnel", "stage", "period=2026-05")


def test_stage_names_and_ambiguity(funnel_wh: Warehouse) -> None:
    filters = Filters(period=MAY)
    assert len(deal_list(funnel_wh, filters, DealListOptions(stage="proposal", mode="reached")).rows) == 6
    with pytest.raises(FilterError, match=r"ambiguous stage .* 'Won'; valid: 15 \(Sales: Won\), 22 \(Other: Won\)"):
        deal_list(funnel_wh, filters, DealListOptions(stage="Won"))
    now_in = deal_list(funnel_wh, Filters(pipelines=("Sales",)), DealListOptions(stage="won"))
    assert sorted(r["deal_id"] for r in now_in.rows) == [2, 7, 9]
    with pytest.raises(FilterError, match="unknown stage 'S9'; valid: 11 \\(Sales: S1\\)"):
        deal_list(funnel_wh, filters, DealListOptions(stage="S9"))
    with pytest.raises(FilterError, match="a period does not apply with"):
        deal_list(funnel_wh, filters, DealListOptions(open_at=MAY.start))


# -- the CLI ---------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drill") / "linked.duckdb"
    tables = funnel_account.tables()
    tables["account"] = funnel_account.rows_to_arrow("account", [{
        "id": 1, "name": "Fixture", "currency": "UAH", "timezone": "Europe/Kyiv", "crm": "kommo",
        "subdomain": "acme", "base_url": "https://acme.kommo.com"}])
    with Warehouse.open(path) as wh:
        wh.replace(tables)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_lists_deals_with_crm_links(db: Path) -> None:
    code, out, err = run("deals", "--db", str(db), "--period", "2026-05", "--manager", "Anna",
                         "--stage", "Proposal", "--reached", "--format", "json")
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)["rows"]
    assert [r["deal_id"] for r in rows] == [2, 3, 5, 6, 7]
    assert rows[0]["link"] == "https://acme.kommo.com/leads/detail/2"
    assert rows[0]["created"] == "2026-05-04 12:00" and rows[0]["closed"] == "2026-05-07 12:00"
    code, same, _ = run("deals", "--db", str(db), "--format", "json",
                        "--drill", "period=2026-05&manager=1&stage=13&reached=1")
    assert [r["deal_id"] for r in json.loads(same)["rows"]] == [2, 3, 5, 6, 7]


def test_cli_formats_and_limit(db: Path, tmp_path: Path) -> None:
    code, out, _ = run("deals", "--db", str(db), "--period", "2026-05", "--status", "lost",
                       "--format", "csv")
    assert code == 0
    lost = list(csv.DictReader(io.StringIO(out)))
    assert [r["deal_id"] for r in lost] == ["4", "5", "6", "8", "10"]
    code, out, _ = run("deals", "--db", str(db), "--period", "2026-05", "--limit", "2", "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 2
    target = tmp_path / "deals.xlsx"
    code, _, err = run("deals", "--db", str(db), "--status", "won", "--format", "xlsx",
                       "--output", str(target))
    assert code == 0, err
    sheet = openpyxl.load_workbook(target)["deals"]
    assert [c.value for c in sheet[1]][:2] == ["Deal", "Name"]
    assert sheet.max_row == 4  # header + deals 2, 7, 9 (deal 12 is deleted)
    code, out, _ = run("deals", "--db", str(db), "--period", "2026-05", "--manager", "Borys")
    assert code == 0 and "Borys Ivanenko" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage", "Nope"], "unknown stage 'Nope'"),
        (["--reached"], "reached/lost_at need a stage"),
        (["--status", "paid"], "unknown status 'paid'; valid: open, won, lost"),
        (["--drill", "period=2026-05", "--period", "2026-06"], "repeated period"),
        (["--manager", "Zenon"], "unknown manager 'Zenon'"),
        (["--format", "pdf"], "unknown format 'pdf'"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(db: Path, args: list[str], message: str) -> None:
    code, out, err = run("deals", "--db", str(db), *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
