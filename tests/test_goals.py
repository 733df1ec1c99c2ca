"""Goals: the report against hand-computed fixtures on DuckDB and PostgreSQL, the goals store
(set, replace, CSV import all-or-nothing), the CLI, and the demo's missed team plan."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesscope import goals_store
from salesscope.cli.app import app
from salesscope.demo import build_demo, people
from salesscope.goals_store import GoalError
from salesscope.reports import registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.reports.working_time import WorkingDay
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.goals import account
from fixtures.summary.engines import ENGINES, shared_warehouse
from fixtures.summary.expected import check_rows, read

MAY = Period.parse("2026-05")
runner = CliRunner()


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def test_every_column_for_may(wh: Warehouse) -> None:
    rows = registry.run(wh, "goals", Filters(period=MAY)).rows
    check_rows(rows, read("goals", "expected_may.csv"))


def test_current_month_expected_and_projected_by_working_time(wh: Warehouse) -> None:
    rows = registry.run(wh, "goals", Filters(period=Period.parse("2026-06"))).rows
    check_rows(rows, read("goals", "expected_june.csv"))


def test_all_goals_without_a_period(wh: Warehouse) -> None:
    rows = registry.run(wh, "goals", Filters()).rows
    assert [(r["period"], r["row_kind"]) for r in rows] == [
        ("2026-05", "team"), ("2026-05", "member"), ("2026-05", "member"), ("2026-05", "team"),
        ("2026-05", "member"), ("2026-05", "manager"), ("2026-06", "manager")]


def test_manager_filter_shows_only_their_own_goals(wh: Warehouse) -> None:
    rows = registry.run(wh, "goals", Filters(period=MAY, managers=("Anna",))).rows
    assert [(r["manager"], r["row_kind"], r["fact"]) for r in rows] == [
        ("Anna Shevchuk", "manager", 1900)]


def test_team_filter_shows_the_team_and_its_members(wh: Warehouse) -> None:
    rows = registry.run(wh, "goals", Filters(period=MAY, teams=("Beta",))).rows
    assert [(r["row_kind"], r["manager"], r["metric"]) for r in rows] == [
        ("team", None, "won_amount"), ("member", "Vira Hnatiuk", "won_amount"),
        ("manager", "Vira Hnatiuk", "won_count")]


def test_goals_count_every_pipeline_so_a_pipeline_filter_is_refused(wh: Warehouse) -> None:
    with pytest.raises(FilterError, match="the goals report takes no pipeline 'Sales'"):
        registry.run(wh, "goals", Filters(period=MAY, pipelines=("Sales",)))


def test_elapsed_share_by_working_time() -> None:
    day = WorkingDay.of(dt.time(9), dt.time(18), dt.time(13), dt.time(14))
    june = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert day.elapsed_share(*june, dt.datetime(2026, 6, 15, 12, 0)) == pytest.approx(83 / 176)
    assert day.elapsed_share(*june, dt.datetime(2026, 6, 13, 20, 0)) == pytest.approx(80 / 176)
    assert day.elapsed_share(*june, dt.datetime(2026, 5, 31, 23, 0)) == 0
    assert day.elapsed_share(*june, dt.datetime(2026, 7, 1, 0, 0)) == 1


# -- the goals store ------------------------------------------------------------------------------


def test_set_replaces_the_same_goal_and_keeps_ids(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    before = len(goals_store.load(wh))
    goal = goals_store.make_goal(wh, "manager", "borys", "2026-05", "won_amount", "1 200")
    assert goals_store.save(wh, [goal]) == 1
    stored = {g.key: g for g in goals_store.load(wh)}
    assert len(stored) == before
    assert stored[goal.key].target == Decimal(1200)
    ids = {r["id"] for r in wh.rows("goals")}
    assert ids == {1, 2, 3, 4, 5, 6}
    quarter = goals_store.make_goal(wh, "team", "Alpha", "2026-Q3", "won_count", "10")
    goals_store.save(wh, [quarter])
    assert {r["id"] for r in wh.rows("goals")} == {1, 2, 3, 4, 5, 6, 7}
    assert quarter.period.label == "2026-Q3" and quarter.period_end == dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def csv_wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """One DuckDB warehouse for the CSV checks: reading a CSV only looks names up."""
    with Warehouse.open(tmp_path_factory.mktemp("goals-csv") / "w.duckdb") as wh:
        wh.replace(account.tables())
        yield wh


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "goals.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reads_every_row(make_warehouse: WarehouseFactory, tmp_path: Path) -> None:
    wh = make_warehouse(account.tables())
    path = write(tmp_path, "scope,name,period,metric,target\n"
                 "manager,Vira Hnatiuk,2026-07,won_amount,700.50\n"
                 "team,beta,2026-07,won_count,4\n\n")
    goals = goals_store.read_csv(wh, path)
    assert goals_store.save(wh, goals) == 2
    rows = registry.run(wh, "goals", Filters(period=Period.parse("2026-07"))).rows
    assert [(r["row_kind"], r["manager"], r["plan"]) for r in rows] == [
        ("team", None, 4), ("member", "Vira Hnatiuk", None), ("manager", "Vira Hnatiuk", 700.5)]
    assert rows[0]["status"] == "not started" and rows[0]["projected"] is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("boss,Vira,2026-07,won_amount,1", "row 3, column scope: unknown scope 'boss'; valid: manager, team"),
        ("manager,Zenon,2026-07,won_amount,1", "row 3, column name: unknown manager 'Zenon'; valid: Anna"),
        ("team,Gamma,2026-07,won_amount,1", "row 3, column name: unknown team 'Gamma'; valid: Alpha, Beta"),
        ("manager,Vira,July,won_amount,1", "row 3, column period: unknown period 'July'; valid: YYYY-MM"),
        ("manager,Vira,2026-07,revenue,1",
         "row 3, column metric: unknown metric 'revenue'; valid: won_amount, won_count"),
        ("manager,Vira,2026-07,won_amount,lots",
         "row 3, column target: malformed target 'lots'; valid: a positive number"),
        ("manager,Vira,2026-07,won_count,2.5",
         "row 3, column target: malformed target '2.5'; valid: a positive whole number"),
        ("manager,Vira,2026-07,won_amount,-5", "row 3, column target: malformed target '-5'"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_stored(
    csv_wh: Warehouse, tmp_path: Path, line: str, message: str
) -> None:
    path = write(tmp_path, "scope,name,period,metric,target\n"
                 "manager,Vira,2026-07,won_amount,100\n" + line + "\n")
    with pytest.raises(GoalError) as caught:
        goals_store.read_csv(csv_wh, path)
    assert str(caught.value).startswith(f"{path} ")
    assert message in str(caught.value)
    assert len(csv_wh.rows("goals")) == len(account.GOALS)


def test_missing_columns_are_named(csv_wh: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, "scope,who,period,target\nmanager,Vira,2026-07,1\n")
    with pytest.raises(GoalError, match="row 1: missing column\\(s\\) name, metric"):
        goals_store.read_csv(csv_wh, path)


# -- the CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "goals.duckdb"
    with Warehouse.open(path) as wh:
        wh.replace(account.tables())
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_set_list_and_report(db: Path) -> None:
    code, _, err = run("goals", "set", "--db", str(db), "--manager", "Hlib", "--period", "2026-05",
                       "--won-amount", "250000", "--won-count", "3")
    assert code == 0, err
    assert "Goal set: manager Hlib Kostenko, 2026-05, won_amount 250 000" in err
    code, out, _ = run("goals", "list", "--db", str(db), "--period", "2026-05", "--format", "json")
    listed = json.loads(out)["rows"]
    assert {"scope": "manager", "name": "Hlib Kostenko", "id": 4, "period": "2026-05",
            "from": "2026-05-01", "to": "2026-05-31", "metric": "won_count", "target": 3} in listed
    code, out, _ = run("report", "goals", "--db", str(db), "--period", "2026-05", "--manager",
                       "Hlib", "--format", "csv")
    assert code == 0
    assert out.splitlines()[1].startswith("2026-05,,Hlib Kostenko,4,manager,won_amount,250000,0,0")


def test_cli_import_and_errors(db: Path, tmp_path: Path) -> None:
    good = write(tmp_path, "scope,name,period,metric,target\nteam,Alpha,2026-08,won_amount,5000\n")
    code, _, err = run("goals", "import", str(good), "--db", str(db))
    assert code == 0 and "Imported 1 goals" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("scope,name,period,metric,target\nteam,Alpha,2026-09,won_amount,x\n", encoding="utf-8")
    code, out, err = run("goals", "import", str(bad), "--db", str(db))
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert f"{bad} row 2, column target: malformed target 'x'" in err
    for args, message in (
        (["--period", "2026-05", "--won-amount", "1"], "give exactly one of --manager NAME or --team NAME"),
        (["--manager", "Anna", "--period", "2026-05"], "give --won-amount N and/or --won-count N"),
        (["--team", "Gamma", "--period", "2026-05", "--won-count", "1"], "unknown team 'Gamma'"),
    ):
        code, _, err = run("goals", "set", "--db", str(db), *args)
        assert code == 2 and message in err, err
    with Warehouse.open(db, read_only=True) as wh:
        assert len(wh.rows("goals")) == len(account.GOALS) + 1


# -- the demo: the team missed although Olena exceeded, because Oleksandr missed --------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("goals-demo") / "demo.duckdb"
    with Warehouse.open(path) as wh:
        build_demo(wh, seed=7, today=dt.date(2026, 6, 15))
    yield path


def test_demo_team_missed_because_oleksandr_missed(demo_db: Path) -> None:
    code, out, err = run("report", "goals", "--db", str(demo_db), "--period", "2026-05",
                         "--team", str(people.OLENA_TEAM.id), "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    team = rows[0]
    members = {r["manager_id"]: r for r in rows if r["row_kind"] == "member"}
    assert (team["row_kind"], team["plan"], team["status"]) == ("team", 1_000_000, "missed")
    assert team["fact"] < 1_000_000
    olena, oleksandr = members[people.OLENA.id], members[people.OLEKSANDR.id]
    assert olena["status"] == "met" and olena["progress"] >= 1.4
    assert oleksandr["status"] == "missed" and oleksandr["progress"] < 0.75
    # Oleksandr's shortfall alone is larger than the team's: without it the team would have met.
    assert -oleksandr["gap"] > -team["gap"]
    assert sum(m["fact"] for m in members.values()) == team["fact"]
    print("\n" + "\n".join(f"{r['manager'] or r['team']}: {r['fact']:,.0f} of {r['plan']:,.0f} "
                           f"({r['status']})" for r in rows))
