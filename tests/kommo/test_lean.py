"""A sync keeps DuckDB lean (one thread, a small memory limit) and gives the settings back; when
DuckDB runs out of memory even so, the run resumes without the limit and ends with the same data."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kommo.conftest import TOKEN, client_for
from kommo.fake_server import FakeKommo
from kommo.truth import canonical_rows
from salesscope.connectors.kommo import lean
from salesscope.connectors.kommo import sync as sync_module
from salesscope.connectors.kommo.sync import sync
from salesscope.warehouse.engines import DuckDBEngine
from salesscope.warehouse.store import Warehouse


def _settings(wh: Warehouse) -> tuple[str, int]:
    row = wh.engine.query("SELECT current_setting('memory_limit'), current_setting('threads')")[0]
    return str(row[0]), int(row[1])


def test_the_sync_runs_lean_and_gives_the_settings_back(fake: FakeKommo, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    before = _settings(wh)
    seen: list[tuple[str, int]] = []
    refresh = Warehouse.refresh_derived

    def spying(self: Warehouse, *args: Any) -> None:
        seen.append(_settings(self))
        refresh(self, *args)

    monkeypatch.setattr(Warehouse, "refresh_derived", spying)
    with client_for(fake) as client:
        sync(wh, client)
    assert seen == [("45.7 MiB", 1)]  # 48 MB = 48,000,000 bytes
    assert _settings(wh)[1] == before[1] and _settings(wh)[0][-3:] == before[0][-3:]
    wh.close()


def test_out_of_memory_resumes_without_the_limit_and_loses_nothing(
        fake: FakeKommo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    clean = Warehouse.open(tmp_path / "clean.duckdb")
    with client_for(fake) as client:
        sync(clean, client)
    monkeypatch.setattr(lean, "MEMORY_LIMIT", "8MB")  # runs out part-way through the run
    starved = Warehouse.open(tmp_path / "starved.duckdb")
    with caplog.at_level(logging.WARNING, "salesscope.kommo"), client_for(fake) as client:
        report = sync(starved, client)
    assert "needs more than 8MB" in caplog.text
    assert report.resumed
    assert canonical_rows(starved) == canonical_rows(clean)
    clean.close()
    starved.close()


def test_releasing_memory_every_page_loses_nothing(fake: FakeKommo, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A lean sync reopens its DuckDB connection every ``RELEASE_PAGES`` pages (memory DuckDB keeps per
    upsert); reopening after every page ends with the data of a sync that never does, the lean settings
    set again on the reopened database (the derived rebuild runs under them) and given back after."""
    plain = Warehouse.open(tmp_path / "plain.duckdb")
    with client_for(fake) as client:
        sync(plain, client, lean=False)
    monkeypatch.setattr(sync_module, "RELEASE_PAGES", 1)
    reopened: list[int] = []
    reconnect, refresh = Warehouse.reconnect, Warehouse.refresh_derived
    seen: list[tuple[str, int]] = []

    def counting(self: Warehouse) -> None:
        reconnect(self)
        reopened.append(1)

    def spying(self: Warehouse, *args: Any) -> None:
        seen.append(_settings(self))
        refresh(self, *args)

    wh = Warehouse.open(tmp_path / "w.duckdb")
    monkeypatch.setattr(Warehouse, "reconnect", counting)
    monkeypatch.setattr(Warehouse, "refresh_derived", spying)
    before = _settings(wh)
    with client_for(fake) as client:
        sync(wh, client, reconnect=True)
    assert len(reopened) > 10
    assert seen == [("45.7 MiB", 1)]
    assert canonical_rows(wh) == canonical_rows(plain)
    assert _settings(wh)[1] == before[1] and _settings(wh)[0][-3:] == before[0][-3:]
    assert wh.counts()["deals"] > 500
    plain.close()
    wh.close()


def test_the_rebuild_returns_memory_after_each_statement(fake: FakeKommo, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A lean sync purges DuckDB's and malloc's freed pages after every statement of the derived
    rebuild (``LeanDuckDB.statement_done``), inside its one transaction: the same tables as a plain
    sync's; a sync that is not lean (a server's) leaves its statements alone."""
    plain = Warehouse.open(tmp_path / "plain.duckdb")
    with client_for(fake) as client:
        sync(plain, client, lean=False)
    statements: list[str] = []
    trims: list[int] = []
    execute, trim = DuckDBEngine.execute, lean.trim_malloc

    def counting_execute(self: DuckDBEngine, sql: str) -> None:
        statements.append(sql)
        execute(self, sql)

    def counting_trim() -> None:
        trims.append(len(statements))
        trim()

    def rebuild(self: Warehouse, *args: Any) -> None:
        statements.clear()
        trims.clear()
        refresh(self, *args)
        rebuilt.append((list(statements), list(trims)))

    rebuilt: list[tuple[list[str], list[int]]] = []
    refresh = Warehouse.refresh_derived
    monkeypatch.setattr(DuckDBEngine, "execute", counting_execute)
    monkeypatch.setattr(lean, "trim_malloc", counting_trim)
    monkeypatch.setattr(Warehouse, "refresh_derived", rebuild)
    wh = Warehouse.open(tmp_path / "w.duckdb")
    rebuilt.clear()  # the empty warehouse's first build, outside a sync
    with client_for(fake) as client:
        sync(wh, client)
    (done, trimmed), = rebuilt
    created = [sql for sql in done if sql.split()[:2] == ["CREATE", "TABLE"]]
    assert len(created) > 10
    # after each statement but BEGIN (the wrapped engine sees the statements inside the transaction)
    assert trimmed == list(range(2, len(done)))
    assert canonical_rows(wh) == canonical_rows(plain)
    assert plain.counts() == wh.counts()
    with client_for(fake) as client:
        sync(plain, client, lean=False)
    assert rebuilt[-1][1] == []
    plain.close()
    wh.close()


SYNC_AND_REPORT = """
import atexit, json, sys
HEAVY = ("pandas", "fastapi", "starlette", "uvicorn", "plotly", "openpyxl")
loaded = lambda: sorted(m for m in HEAVY if m in sys.modules)
atexit.register(lambda: sys.stderr.write("\\nLOADED " + json.dumps(loaded()) + "\\n"))
from salesscope.cli.app import main
sys.argv = ["salesscope", "sync", "--db", sys.argv[1]]
main()
"""


def test_a_sync_process_never_imports_pandas_or_the_web_app(fake: FakeKommo, tmp_path: Path) -> None:
    """A whole `salesscope sync` (pages, tombstones, derived rebuild) runs without pandas (~57 MB that
    pyarrow would import for its first list conversion) or FastAPI, and loads the same data."""
    env = os.environ | {"SALESSCOPE_HOME": str(tmp_path), "SALESSCOPE_DB": ""}
    env.pop("KOMMO_TOKEN", None)
    connected = subprocess.run([str(Path(sys.executable).parent / "salesscope"), "connect", "kommo",
                                "--base-url", fake.url, "--rate-limit", "500"],
                               env=env | {"KOMMO_TOKEN": TOKEN}, text=True, capture_output=True, timeout=120)
    assert connected.returncode == 0, connected.stderr
    db = tmp_path / "w.duckdb"
    done = subprocess.run([sys.executable, "-c", SYNC_AND_REPORT, str(db)], env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Kommo full sync done" in done.stderr or "Kommo incremental sync done" in done.stderr, done.stderr
    loaded = [ln for ln in done.stderr.splitlines() if ln.startswith("LOADED ")][-1]
    assert json.loads(loaded.removeprefix("LOADED ")) == []

    with client_for(fake) as client:
        here = Warehouse.open(tmp_path / "here.duckdb")
        sync(here, client, lean=False)  # in this process, pandas and all
    synced = Warehouse.open(db, read_only=True)
    assert canonical_rows(synced) == canonical_rows(here)
    assert synced.counts()["deals"] > 500
    synced.close()
    here.close()


def test_without_pandas_leaves_real_pandas_conversions_working() -> None:
    """pyarrow told "no pandas" still converts to pandas when asked, and takes pandas objects after."""
    code = """
import sys
from salesscope.connectors.kommo.lean import without_pandas
without_pandas()
import pyarrow as pa
table = pa.table({"a": [1, 2, 2]})
assert "pandas" not in sys.modules
frame = table.to_pandas()
assert frame["a"].sum() == 5
import pandas as pd
assert pa.types.is_dictionary(pa.array(pd.Series(["x", "y"], dtype="category")).type)  # seen as pandas
"""
    done = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
