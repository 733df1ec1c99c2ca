"""`salesscope import deals|users`: the summary it prints, and one-line errors with exit code 2."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.warehouse.store import Warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "import"
DEALS = FIXTURES / "deals_small.csv"
DEALS_MAPPING = FIXTURES / "deals_small.toml"

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def counted(out: str, label: str) -> int:
    """The number the summary table prints next to ``label``."""
    match = re.search(rf"│ {re.escape(label)}\s+│\s+([\d,]+) │", out)
    assert match, (label, out)
    return int(match[1].replace(",", ""))


def test_import_deals_prints_what_it_did(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    code, out, err = run("import", "deals", str(DEALS), "--mapping", str(DEALS_MAPPING), "--db", db,
                         "--account-name", "Кав'ярня")
    assert code == 0, err
    assert f"Imported deals from {DEALS} (csv, utf-8, ',')" in out
    assert [counted(out, label) for label in ("rows read", "new deals", "users created",
                                              "imported with blank owner",
                                              "new stage changes")] == [5, 5, 2, 1, 0]
    assert "Not in the mapping (left empty): currency, utm_content" in out
    assert "Account created: Кав'ярня (UAH, Europe/Kyiv)" in out
    code, out, _ = run("import", "deals", str(DEALS), "--mapping", str(DEALS_MAPPING), "--db", db)
    assert code == 0
    assert counted(out, "unchanged deals") == 5
    assert "Nothing changed" in out
    with Warehouse.open(db, read_only=True) as wh:
        assert [a["name"] for a in wh.rows("account")] == ["Кав'ярня"]


def test_bad_file_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    bad = tmp_path / "bad.csv"
    bad.write_text(DEALS.read_text(encoding="utf-8").replace("2000,15.05.2026", "дві тисячі,15.05.2026"),
                   encoding="utf-8")
    code, _, err = run("import", "deals", str(bad), "--mapping", str(DEALS_MAPPING), "--db", str(db))
    assert code == 2
    assert err == (f"salesscope: error: {bad}: row 3, column 'Бюджет': unparseable amount "
                   "'дві тисячі'; valid: a number such as 1 500,50\n")
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.rows("deals") == [] and wh.rows("account") == []


def test_bad_mapping_and_missing_file_exit_2(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\ndeal_id = "ID"\n', encoding="utf-8")
    db = str(tmp_path / "w.duckdb")
    code, _, err = run("import", "deals", str(DEALS), "--mapping", str(mapping), "--db", db)
    assert (code, err.count("\n")) == (2, 1)
    assert "map.toml: [columns]: required field(s) stage, created_at not mapped" in err
    code, _, err = run("import", "users", str(tmp_path / "nope.csv"), "--mapping",
                       str(FIXTURES / "users_small.toml"), "--db", db)
    assert code == 2 and "nope.csv: no such file" in err


def test_dry_run_and_users(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    code, out, _ = run("import", "deals", str(DEALS), "--mapping", str(DEALS_MAPPING), "--db", db,
                       "--dry-run")
    assert code == 0 and "Would import deals" in out and "Dry run: nothing was written." in out
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.rows("deals") == []
    code, out, _ = run("import", "users", str(FIXTURES / "users_small.csv"), "--mapping",
                       str(FIXTURES / "users_small.toml"), "--db", db)
    assert code == 0
    assert (counted(out, "new users"), counted(out, "teams created")) == (3, 2)
