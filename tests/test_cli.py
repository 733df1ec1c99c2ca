"""The CLI surface: output formats carry the report's numbers, bad input is one line and exit 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.warehouse.store import Warehouse

from fixtures.funnel import account

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "fixture.duckdb"
    with Warehouse.open(path) as wh:
        wh.replace(account.tables())
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_shape_and_numbers(db: Path) -> None:
    code, out, _ = run("report", "funnel", "--db", str(db), "--period", "2026-05",
                       "--pipeline", "Sales", "--manager", "anna", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc)[:7] == ["report", "title", "filters", "generated_at", "data_as_of",
                             "columns", "rows"]
    assert doc["report"] == "funnel"
    assert doc["data_as_of"] == "2026-06-15T09:00:00Z"
    assert doc["filters"]["managers"] == ["anna"]
    assert {"name": "reached_amount", "label": "Reached, amount", "type": "money",
            "unit": "UAH"} in doc["columns"]
    assert [r["reached"] for r in doc["rows"]] == [10, 6, 5, 3, 2]
    assert doc["rows"][-1]["reached_amount"] == 1700
    assert doc["rows"][0]["conversion_from_previous"] is None


def test_csv_has_the_json_columns(db: Path) -> None:
    code, out, _ = run("report", "funnel", "--db", str(db), "--period", "2026-05", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["pipeline", "stage", "stage_kind", "stage_order", "reached",
                             "reached_amount", "conversion_from_previous", "conversion_from_first",
                             "lost", "lost_amount", "drill"]
    assert [(r["stage"], r["reached"], r["lost_amount"]) for r in rows[:5]] == [
        ("S1", "13", "200"), ("S2", "8", "700"), ("Proposal", "6", "0"), ("S4", "4", "400"),
        ("Won", "3", "0")]


def test_xlsx_has_rows_and_definitions(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "funnel.xlsx"
    code, _, err = run("report", "funnel", "--db", str(db), "--period", "2026-05",
                       "--by", "manager", "--format", "xlsx", "--output", str(target))
    assert code == 0, err
    book = openpyxl.load_workbook(target)
    sheet = book["funnel"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Pipeline", "Manager", "Manager id"]
    assert "Reached, amount, UAH" in header
    assert sheet.cell(2, 2).value == "Anna Shevchuk"
    assert sheet.cell(2, header.index("Reached") + 1).value == 10
    assert sheet.cell(2, header.index("Conv. from first") + 1).number_format == "0.0%"
    definitions = {r[0].value: r[1].value for r in book["Definitions"].iter_rows(min_row=2)}
    assert "skipped stages count as reached" in definitions["Reached"]


def test_table_format_shows_percentages(db: Path) -> None:
    code, out, _ = run("report", "funnel", "--db", str(db), "--period", "2026-05")
    assert code == 0
    assert "61.5%" in out  # 8 of 13 reached S2
    assert "5 680.00" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "nope"], "unknown report 'nope'; valid: funnel"),
        (["report", "funnel", "--manager", "Zenon"], "unknown manager 'Zenon'; valid: Anna Shevchuk, "),
        (["report", "funnel", "--pipeline", "X"], "unknown pipeline 'X'; valid: Other, Sales"),
        (["report", "funnel", "--period", "2026-5"], "unknown period '2026-5'; valid: YYYY-MM"),
        (["report", "funnel", "--by", "week"], "unknown grouping 'week'; valid: manager, team, source, pipeline"),
        (["report", "funnel", "--format", "pdf"], "unknown format 'pdf'; valid: table, json, csv, xlsx"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(db: Path, args: list[str], message: str) -> None:
    code, out, err = run(*args, "--db", str(db))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err


def test_missing_warehouse_says_how_to_build_one(tmp_path: Path) -> None:
    code, _, err = run_script("report", "funnel", "--db", str(tmp_path / "none.duckdb"))
    assert code == 1
    assert "salesscope demo" in err


def test_db_from_environment(db: Path) -> None:
    code, out, _ = run_script("report", "funnel", "--format", "json", env={"SALESSCOPE_DB": str(db)})
    assert code == 0 and json.loads(out)["rows"][0]["reached"] == 15


def test_reports_lists_definitions() -> None:
    code, out, _ = run("reports")
    assert code == 0 and "funnel" in out and "followed to today" in out


def run_script(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The installed console script in a real process, as a user runs it."""
    script = Path(sys.executable).parent / "salesscope"
    proc = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.postgres
def test_a_postgresql_warehouse_answers_the_same(db: Path) -> None:
    from conftest import postgres_url_or_skip

    url = postgres_url_or_skip()
    schema = f"salesscope_cli_{os.getpid()}"
    wh = Warehouse.postgres(url, schema)
    try:
        wh.replace(account.tables())
        target = f"{url}?schema={schema}"
        pg = run("report", "funnel", "--db", target, "--period", "2026-05", "--format", "csv")
        duck = run("report", "funnel", "--db", str(db), "--period", "2026-05", "--format", "csv")
        assert pg[0] == 0, pg[2]
        assert pg[1] == duck[1]
    finally:
        wh.engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        wh.close()


def test_report_options_are_parsed_against_the_spec() -> None:
    from salesscope.reports.errors import FilterError
    from salesscope.reports.spec import ReportOption, ReportSpec

    spec = ReportSpec("x", "X", "", (), lambda wh, f: None,  # type: ignore[arg-type,return-value]
                      (ReportOption("break_min", int, 15, "breaks"), ReportOption("list", bool, False, "list")))
    assert spec.with_defaults(spec.parse_options(["--break-min", "20", "--list"])) == {"break_min": 20, "list": True}
    assert spec.with_defaults(spec.parse_options(["--break-min=5"])) == {"break_min": 5, "list": False}
    kinds = ReportSpec("k", "K", "", (), spec.run, (ReportOption("kind", str, "", "kinds"),))
    assert kinds.parse_options(["--kind", "note", "--kind=call_out"]) == {"kind": "note,call_out"}
    with pytest.raises(FilterError, match="unknown option 'colour'; valid: --break-min, --list"):
        spec.parse_options(["--colour", "red"])
    with pytest.raises(FilterError, match="malformed --break-min 'soon'; valid: a whole number"):
        spec.parse_options(["--break-min", "soon"])


def test_funnel_takes_no_options(db: Path) -> None:
    code, _, err = run("report", "funnel", "--db", str(db), "--limit", "5")
    assert code == 2 and "unknown option 'limit'; valid: (none for this report)" in err
