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
from salesscope.reports import activity_drill, registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.activity import account
from fixtures.activity.demo import demo_warehouse  # noqa: F401 (the fixture demo_wh)
from fixtures.activity.drilled import mismatches
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
    assert counts(calls(wh, period=MAY, pipelines=("Sales", "Other"))) == counts(calls(wh, period=MAY))
    assert counts(calls(wh, {"min_duration": 60})) == counts(calls(wh, pipelines=("Sales", "Other")))


def counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without their drill (which names the filters asked)."""
    return [{k: v for k, v in r.items() if k != "drill"} for r in rows]


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


# -- drill-down: every count opens as the list of calls behind it --------------------------------


@pytest.mark.parametrize(("options", "filters"), [
    ({}, {"period": MAY}),  # Anna 4 calls (2 answered), Borys 1, Vira 2 (23:30 on 31 May), Total 7
    ({"min_duration": 120}, {"period": MAY}),  # effective at 120 s: the drill carries it
    ({}, {}),  # all time: Vira's 00:10 call on 1 June too
    ({"direction": "out"}, {"period": MAY, "teams": ("Alpha",)}),  # narrowed rows drill narrowed
    ({"outcome": "answered", "min_duration": 0}, {"pipelines": ("Sales",)}),
])
def test_every_count_opens_as_exactly_that_many_calls(wh: Warehouse, options: dict[str, Any],
                                                      filters: dict[str, Any]) -> None:
    result = calls(wh, options, **filters)
    assert mismatches(wh, "calls", result) == []
    assert all(r["drill"] for r in result)  # the Total row too


def test_call_filters_narrow_every_layout(wh: Warehouse) -> None:
    may = {r["manager"]: r for r in calls(wh, period=MAY)}
    out = {r["manager"]: r for r in calls(wh, {"direction": "out"}, period=MAY)}
    assert out["Total"]["calls"] == may["Total"]["outgoing"] and out["Total"]["incoming"] == 0
    answered = calls(wh, {"outcome": "answered", "list": True}, period=MAY)
    assert len(answered) == may["Total"]["answered"] and all(r["answered"] for r in answered)
    effective = calls(wh, {"effective": True}, period=MAY, by="hour")
    assert sum(r["calls"] for r in effective) == may["Total"]["effective_calls"]
    row = may["Anna Shevchuk"]
    assert row["drill"] == "calls?period=2026-05&manager=1&list=true"
    # a count the row's own narrowing rules out has no list behind it
    assert activity_drill.for_column("calls", "incoming", out["Anna Shevchuk"]["drill"]) is None
    with pytest.raises(FilterError, match="unknown --direction 'sideways'; valid: all, in, out"):
        calls(wh, {"direction": "sideways"})


def test_cli_runs_a_drilled_list(db: Path) -> None:
    row = next(r for r in as_json(db, "calls", "--period", "2026-05") if r["manager"] == "Anna Shevchuk")
    target = activity_drill.for_column("calls", "missed", row["drill"])
    assert target == "calls?period=2026-05&manager=1&list=true&outcome=missed"
    listed = as_json(db, "calls", "--period", "2026-05", "--manager", "1", "--list", "--outcome", "missed")
    assert len(listed) == row["missed"] == 2  # calls 3 (voicemail) and 4 (busy)


# -- drill-down of the day × hour table: every cell opens as exactly its calls ---------------------


@pytest.mark.parametrize(("options", "filters"), [
    # May's cells (account-local): Mon 9 call 1; Mon 11 call 5; Mon 13 call 2; Thu 9 calls 3 and 4;
    # Thu 10 call 6; Sun 23 call 7 (31 May 23:30 Kyiv). 7 calls, every other cell zero.
    ({}, {"period": MAY}),
    # all time adds Mon 0 (call 8, 1 June 00:10 Kyiv) and Thu 23 (call 9, 30 April 23:30): 9 calls
    ({}, {}),
    # out and at least 120 s: only call 1 (Mon 9) is effective; calls 3, 4, 5, 6, 7 are out
    ({"direction": "out", "min_duration": 120}, {"period": MAY}),
    # missed in Sales (deals 1-5): calls 3 and 4 (Thu 9), 6 (Thu 10), 9 (Thu 23)
    ({"outcome": "missed"}, {"pipelines": ("Sales",)}),
    ({"effective": True}, {"period": MAY, "teams": ("Alpha",)}),  # calls 1 (Mon 9) and 2 (Mon 13)
    # the report itself narrowed to Thursdays: the other days' cells count 0 and have no list
    ({"weekday": "4"}, {"period": MAY}),
])
def test_every_hour_cell_opens_as_exactly_that_many_calls(wh: Warehouse, options: dict[str, Any],
                                                          filters: dict[str, Any]) -> None:
    result = calls(wh, options, by="hour", **filters)
    assert mismatches(wh, "calls", result) == []
    assert all(r["drill"] or r["calls"] == 0 for r in result)
    assert sum(r["calls"] for r in result if r["drill"]) == calls(wh, options, **filters)[-1]["calls"]


def test_hour_cell_drill_is_the_list_of_that_weekday_and_hour(wh: Warehouse) -> None:
    cells = {(r["weekday"], r["hour"]): r for r in calls(wh, period=MAY, by="hour")}
    thursday_9 = cells[(4, 9)]
    assert thursday_9["drill"] == "calls?period=2026-05&list=true&weekday=4&hour=9"
    listed = calls(wh, {"list": True, "weekday": "4", "hour": "9"}, period=MAY)
    assert sorted(r["id"] for r in listed) == [3, 4]  # Anna's voicemail at 09:30 and busy at 09:35
    missed = activity_drill.for_column("calls", "missed", thursday_9["drill"])
    assert missed == "calls?period=2026-05&list=true&weekday=4&hour=9&outcome=missed"
    # all time, hour 0 is call 8 (00:10 Kyiv on Monday 1 June, 21:10 UTC on Sunday)
    assert [r["id"] for r in calls(wh, {"list": True, "hour": "0"})] == [8]
    assert [r["id"] for r in calls(wh, {"list": True, "weekday": "7"})] == [7]


def test_weekday_and_hour_narrow_the_manager_layout(wh: Warehouse) -> None:
    # Monday 9-10 in May: only Anna's call 1 (out, answered, 125 s)
    rows = {r["manager"]: r for r in calls(wh, {"weekday": "1", "hour": "9"}, period=MAY)}
    assert [rows[m]["calls"] for m in ("Anna Shevchuk", "Borys Ivanenko", "Vira Hnatiuk", "Total")] == [1, 0, 0, 1]
    assert rows["Total"]["total_duration_s"] == 125 and rows["Total"]["effective_calls"] == 1
    assert rows["Anna Shevchuk"]["drill"] == "calls?period=2026-05&manager=1&list=true&weekday=1&hour=9"
    assert mismatches(wh, "calls", list(rows.values())) == []


@pytest.mark.parametrize(("options", "message"), [
    ({"hour": "24"}, "invalid --hour '24'; valid: 0-23, all"),
    ({"hour": "nine"}, "invalid --hour 'nine'; valid: 0-23, all"),
    ({"weekday": "0"}, "invalid --weekday '0'; valid: 1-7, all"),
])
def test_bad_weekday_or_hour_names_itself(wh: Warehouse, options: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        calls(wh, options, by="hour")


def test_cli_runs_a_drilled_hour_cell(db: Path) -> None:
    cell = next(r for r in as_json(db, "calls", "--period", "2026-05", "--by", "hour")
                if (r["weekday"], r["hour"]) == (4, 9))
    listed = as_json(db, "calls", "--period", "2026-05", "--list", "--weekday", "4", "--hour", "9")
    assert len(listed) == cell["calls"] == 2
    code, out, err = run(db, "calls", "--hour", "25")
    assert code == 2 and out == "" and "invalid --hour '25'" in err
