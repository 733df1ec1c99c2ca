"""``salesscope settings list | set``: values, defaults and help; bad input is one line, exit 2,
and nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.warehouse.store import Warehouse

from fixtures.funnel import account

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "settings.duckdb"
    with Warehouse.open(path) as wh:
        wh.replace(account.tables())
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def listed(db: Path) -> dict[str, dict[str, object]]:
    code, out, err = run("settings", "list", "--db", str(db), "--format", "json")
    assert code == 0, err
    return {r["name"]: r for r in json.loads(out)["rows"]}


def test_list_shows_values_defaults_and_help(db: Path) -> None:
    rows = listed(db)
    assert list(rows) == ["overload_limit", "proposal_stage:1", "proposal_stage:2", "work_start",
                          "work_end", "lunch_start", "lunch_end", "margin_percent"]
    assert rows["overload_limit"] == {
        "name": "overload_limit", "value": "60", "stored": False, "default": "60",
        "help": "Open deals per manager above which the manager counts as overloaded."}
    assert rows["proposal_stage:1"]["value"] == str(account.S3)  # found by its name, "Proposal"
    assert rows["proposal_stage:2"]["value"] == ""
    assert rows["proposal_stage:1"]["help"].startswith("Sales: ")
    code, out, _ = run("settings", "list", "--db", str(db))
    assert code == 0 and "overload_limit" in out and "Start of the working day" in out


def test_set_stores_a_checked_value(db: Path) -> None:
    code, _, err = run("settings", "set", "overload_limit", "45", "--db", str(db))
    assert code == 0 and "overload_limit = 45" in err
    code, _, err = run("settings", "set", "proposal_stage:1", str(account.S4), "--db", str(db))
    assert code == 0, err
    code, _, err = run("settings", "set", "work_start", "08:30", "--db", str(db))
    assert code == 0 and "work_start = 08:30:00" in err
    rows = listed(db)
    assert (rows["overload_limit"]["value"], rows["overload_limit"]["stored"]) == ("45", True)
    assert rows["proposal_stage:1"]["value"] == str(account.S4)
    code, out, _ = run("report", "summary", "--db", str(db), "--format", "json")
    assert json.loads(out)["filters"]["overload_limit"] == 45


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["colour", "red"], "unknown setting 'colour'; valid: overload_limit, proposal_stage"),
        (["overload_limit", "many"], "setting overload_limit: invalid literal"),
        (["overload_limit", "0"], "setting overload_limit: '0' is not a positive whole number"),
        (["lunch_end", "25:00"], "setting lunch_end: '25:00' is not a time HH:MM"),
        (["proposal_stage", "13"], "setting 'proposal_stage' must be named proposal_stage:<pipeline id>"),
        (["proposal_stage:9", "13"], "unknown pipeline in 'proposal_stage:9'; valid: proposal_stage:1 (Sales)"),
        (["proposal_stage:2", "13"], "setting proposal_stage:2: '13' is not an open stage of Other; valid: 21 (O1)"),
        (["proposal_stage:1", "15"], "'15' is not an open stage of Sales; valid: 11 (S1), 12 (S2)"),
    ],
)
def test_bad_settings_are_one_line_exit_2_and_not_stored(db: Path, args: list[str], message: str) -> None:
    code, out, err = run("settings", "set", *args, "--db", str(db))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
    assert not any(r["stored"] for r in listed(db).values())
