"""The calls report against hand-computed fixtures (tests/fixtures/activity), on every engine; the
activity reports' options through the CLI; the demo's short calls."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.reports import registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.activity import account
from fixtures.activity.demo import demo_warehouse  # noqa: F401 (the fixture demo_wh)
from fixtures.activity.expected import check_row, check_rows, expected

MAY = Period.parse("2026-05")
runner = CliRunner()


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse(account.tables())


def calls(wh: Warehouse, options: dict[str, Any] | None = None, **filters: Any) -> list[dict[str, Any]]:
    return registry.run(wh, "calls", Filters(**filters).with_options(**(options or {}))).rows


def test_every_column_per_manager(wh: Warehouse) -> None:
    # answered = status answered; voicemail and busy are missed; 60 s is effective, 59 s not;
    # Vira's call at 23:30 on 31 May is May's, her call at 00:10 on 1 June is not. Working days:
    # May has 21 weekdays; Anna and Borys first acted on Monday 4 May (20), Vira on 30 April.
    check_rows(calls(wh, period=MAY), "expected_calls_may.csv")


def test_counts_per_day_and_per_call_agree(wh: Warehouse) -> None:
    # Both pipelines: every call has a deal, so the filter keeps them all but reads call_facts.
    assert calls(wh, period=MAY, pipelines=("Sales", "Other")) == calls(wh, period=MAY)
    assert calls(wh, {"min_duration": 60}) == calls(wh, pipelines=("Sales", "Other"))


def test_min_duration(wh: Warehouse) -> None:
    rows = {r["manager"]: r["effective_calls"] for r in calls(wh, {"min_duration": 120}, period=MAY)}
    assert rows == {"Anna Shevchuk": 1, "Borys Ivanenko": 0, "Vira Hnatiuk": 1, "Total": 2}


def test_day_by_hour_table(wh: Warehouse) -> None:
    rows = calls(wh, period=MAY, by="hour")
    assert len(rows) == 7 * 5  # every weekday × the hours 9, 10, 11, 13 and 23
    cells = {(r["weekday"], r["hour"]): r for r in rows}
    want = {(int(w["weekday"]), int(w["hour"])): w for w in expected("expected_calls_may_by_hour_nonzero.csv")}
    for key, row in cells.items():
        if key in want:
            check_row(row, want[key])
        else:
            assert row["calls"] == 0 and row["total_duration_s"] == 0, row


def test_list_with_recordings(wh: Warehouse) -> None:
    check_rows(calls(wh, {"list": True}, period=MAY, managers=("Anna",)),
               "expected_calls_may_list_anna.csv")
    newest = calls(wh, {"list": True, "limit": 1}, period=MAY)
    assert [r["id"] for r in newest] == [7]


def test_zero_calls_listed_with_zeros(wh: Warehouse) -> None:
    rows = calls(wh, period=Period.parse("2026-06"), teams=("Alpha",))
    anna = rows[0]
    assert (anna["manager"], anna["calls"], anna["avg_duration_s"], anna["working_days"],
            anna["calls_per_day"]) == ("Anna Shevchuk", 0, None, 11, 0)


def test_deal_filters(wh: Warehouse) -> None:
    other = {r["manager"]: r["calls"] for r in calls(wh, period=MAY, pipelines=("Other",))}
    assert other == {"Anna Shevchuk": 0, "Borys Ivanenko": 1, "Vira Hnatiuk": 0, "Total": 1}


def test_list_and_by_hour_do_not_mix(wh: Warehouse) -> None:
    with pytest.raises(FilterError, match="--list lists calls one by one"):
        calls(wh, {"list": True}, by="hour")


def test_demo_many_calls_under_a_minute(demo_wh: Warehouse) -> None:
    rows = calls(demo_wh, period=MAY)
    total = rows[-1]
    assert total["row_kind"] == "total"
    short = 1 - total["effective_calls"] / total["calls"]
    assert 0.3 <= short <= 0.5
    assert total["answered"] + total["missed"] == total["calls"]
    taras = next(r for r in rows if r["manager"].startswith("Taras"))
    assert taras["outgoing"] == 0  # the demo manager who does not call out
    listed = calls(demo_wh, {"list": True, "limit": 20}, period=MAY)
    assert all((r["recording_url"] is not None) == r["answered"] for r in listed)


# -- the activity reports' options through the command line ------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("activity-cli") / "fixture.duckdb"
    with Warehouse.open(path) as wh:
        wh.replace(account.tables())
    return path


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["report", *args, "--db", str(db)])
    return result.exit_code, result.stdout, result.stderr


def as_json(db: Path, *args: str) -> list[dict[str, Any]]:
    code, out, err = run(db, *args, "--format", "json")
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)["rows"]
    return rows


def test_cli_events_limit_and_kind(db: Path) -> None:
    assert len(as_json(db, "events")) == 37
    rows = as_json(db, "events", "--period", "2026-05", "--manager", "anna", "--kind",
                   "note,call_out", "--limit", "2")
    assert [(r["id"], r["at"]) for r in rows] == [(114, "2026-05-09T11:00:00"),
                                                  (112, "2026-05-07T09:40:00")]
    assert [r["id"] for r in as_json(db, "events", "--deal", "3")] == [119, 905, 118]


def test_cli_worktime_break_min(db: Path) -> None:
    code, out, _ = run(db, "worktime", "--period", "2026-W19", "--manager", "Anna",
                       "--break-min", "30", "--format", "csv")
    assert code == 0
    monday = next(csv.DictReader(io.StringIO(out)))
    assert (monday["breaks"], monday["active_minutes"], monday["lunch"]) == ("3", "100", "13:20–14:10")


def test_cli_calls_min_duration_list_and_by_hour(db: Path) -> None:
    rows = as_json(db, "calls", "--period", "2026-05", "--min-duration", "120")
    assert [r["effective_calls"] for r in rows] == [1, 0, 1, 2]
    listed = as_json(db, "calls", "--period", "2026-05", "--list", "--manager", "Vira")
    assert [(r["id"], r["recording_url"]) for r in listed] == [(7, "https://rec.example/7.mp3"),
                                                               (6, None)]
    assert len(as_json(db, "calls", "--period", "2026-05", "--by", "hour")) == 35


def test_cli_employees_by_day(db: Path) -> None:
    rows = as_json(db, "employees", "--period", "2026-W19", "--manager", "Borys", "--by", "day")
    assert [(r["day"], r["row_kind"], r["actions"]) for r in rows[:3]] == [
        ("2026-05-04", "manager", 4), ("2026-05-04", "team_median", 7.5),
        ("2026-05-04", "company_median", 4)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["worktime", "--break-min", "0"], "invalid --break-min '0'"),
        (["worktime", "--break-min", "soon"], "malformed --break-min 'soon'; valid: a whole number"),
        (["events", "--kind", "calls"], "unknown kind 'calls'; valid: deal_created"),
        (["events", "--limit", "-2"], "invalid --limit '-2'"),
        (["calls", "--min-duration", "-1"], "invalid --min-duration '-1'"),
        (["calls", "--list", "--by", "hour"], "--list lists calls one by one"),
        (["employees", "--by", "week"], "unknown grouping 'week'; valid: manager, day"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(db: Path, args: list[str], message: str) -> None:
    code, out, err = run(db, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_cli_lists_the_options(db: Path) -> None:
    result = runner.invoke(app, ["reports"])
    for flag in ("--break-min", "--min-duration", "--list", "--kind", "--deal", "--limit"):
        assert flag in result.stdout
