"""Parquet backups: a round trip keeps every row; a bad backup changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.warehouse.backup import backup, restore
from salesscope.warehouse.schema import TABLES
from salesscope.warehouse.store import Warehouse, WarehouseError

from fixtures.funnel import account


@pytest.fixture
def source(tmp_path: Path) -> Warehouse:
    wh = Warehouse.open(tmp_path / "source.duckdb")
    wh.replace(account.tables())
    return wh


def snapshot(wh: Warehouse) -> dict[str, list[dict[str, object]]]:
    return {t.name: sorted(wh.rows(t.name), key=repr) for t in TABLES}


def test_round_trip_keeps_every_row(source: Warehouse, tmp_path: Path) -> None:
    counts = backup(source, tmp_path / "b")
    assert counts["deals"] == len(account.DEALS)
    target = Warehouse.open(tmp_path / "target.duckdb")
    restore(target, tmp_path / "b")
    assert snapshot(target) == snapshot(source)
    assert target.table("deal_progress").count().to_pyarrow().as_py() == len(account.DEALS)


def test_bad_file_names_itself_and_changes_nothing(source: Warehouse, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    backup(source, folder)
    before = snapshot(source)
    pq.write_table(pa.table({"id": [1], "colour": ["red"]}), folder / "teams.parquet")
    with pytest.raises(WarehouseError, match=r"teams\.parquet: column\(s\) colour are not in table teams"):
        restore(source, folder)
    assert snapshot(source) == before


def test_row_count_mismatch_is_refused(source: Warehouse, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    backup(source, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["deals"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(WarehouseError, match=r"deals\.parquet: 17 rows, but manifest\.json says 1"):
        restore(source, folder)


def test_cli_backup_and_restore(source: Warehouse, tmp_path: Path) -> None:
    source.close()
    runner = CliRunner()
    done = runner.invoke(app, ["backup", str(tmp_path / "b"), "--db", str(tmp_path / "source.duckdb")])
    assert done.exit_code == 0, done.stderr
    done = runner.invoke(app, ["restore", str(tmp_path / "b"), "--db", str(tmp_path / "copy.duckdb")])
    assert done.exit_code == 0, done.stderr
    assert "Restored" in done.stderr
    missing = runner.invoke(app, ["restore", str(tmp_path / "nope"), "--db", str(tmp_path / "copy.duckdb")])
    assert missing.exit_code != 0
