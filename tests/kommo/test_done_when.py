"""Issue 3's "done when": a synced account equals the fake's own data, whatever happened on the way.

Three syncs of the same account through the real command line: clean; killed with SIGKILL three
times at random points and resumed; and with 5% of answers failing (500, 502, 504, or too slow).
Each must give the fake's funnel per manager and stage (reached, lost, lost amount) and its calls
per manager and month (incoming, outgoing, total duration, calls of at least 60 s), and
``status --format json`` must count the same rows in every table for all three.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kommo.conftest import TOKEN
from kommo.fake_account import KommoAccount
from kommo.fake_server import FakeKommo
from kommo.truth import calls_from_fake, calls_from_warehouse, canonical_rows, funnel_by_manager
from salesscope.cli.app import app
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

SALESSCOPE = str(Path(sys.executable).parent / "salesscope")
runner = CliRunner()


def connect(home: Path, fake: FakeKommo, *extra: str) -> None:
    result = runner.invoke(app, ["connect", "kommo", "--base-url", fake.url, "--rate-limit", "500", *extra],
                           env={"SALESSCOPE_HOME": str(home), "KOMMO_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert "Connected to Kommo account 'Київ Продажі' (currency UAH, timezone Europe/Kyiv)" in result.stdout


def run_sync(home: Path, db: Path) -> subprocess.Popen[str]:
    env = os.environ | {"SALESSCOPE_HOME": str(home), "SALESSCOPE_DB": ""}
    return subprocess.Popen([SALESSCOPE, "sync", "--db", str(db)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def status_tables(home: Path, db: Path) -> dict[str, int]:
    result = runner.invoke(app, ["status", "--format", "json", "--db", str(db)], env={"SALESSCOPE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["last_sync"]["finished"] and doc["source"] == "kommo"
    tables: dict[str, int] = doc["tables"]
    return tables


def calls_report(wh: Warehouse, months: list[str]) -> dict[tuple[str, int], tuple[Any, ...]]:
    """The product's own calls report, per month: incoming, outgoing, talk time, effective calls."""
    out = {}
    for month in months:
        result = registry.run(wh, "calls", Filters(period=Period.parse(month)))
        for r in result.rows:
            if r["row_kind"] == "manager" and r["calls"]:
                out[(month, r["manager_id"])] = (r["incoming"], r["outgoing"], r["total_duration_s"],
                                                 r["effective_calls"])
    return out


class Truth:
    def __init__(self, account: KommoAccount, path: Path) -> None:
        self.wh = Warehouse.open(path)
        self.wh.replace(account.truth)
        self.funnel = funnel_by_manager(self.wh)
        self.calls = calls_from_fake(account)
        self.months = sorted({month for _, month in self.calls})
        self.calls_report = calls_report(self.wh, self.months)

    def check(self, db: Path) -> None:
        with Warehouse.open(db, read_only=True) as wh:
            assert funnel_by_manager(wh) == self.funnel
            assert calls_from_warehouse(wh) == self.calls
            assert calls_report(wh, self.months) == self.calls_report


@pytest.fixture(scope="module")
def truth(kommo_account: KommoAccount, tmp_path_factory: pytest.TempPathFactory) -> Truth:
    return Truth(kommo_account, tmp_path_factory.mktemp("truth") / "truth.duckdb")


@pytest.fixture(scope="module")
def clean(kommo_account: KommoAccount, truth: Truth, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The clean sync through the command line: its status counts and canonical rows."""
    fake = FakeKommo(kommo_account.copy()).start()
    home, db = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("clean") / "w.duckdb"
    try:
        connect(home, fake)
        proc = run_sync(home, db)
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output
        assert "Kommo incremental sync done" in output
    finally:
        fake.stop()
    with Warehouse.open(db, read_only=True) as wh:
        rows = canonical_rows(wh)
    return {"db": db, "tables": status_tables(home, db), "rows": rows, "requests": len(fake.log)}


def test_clean_sync(clean: dict[str, Any], truth: Truth) -> None:
    truth.check(clean["db"])
    assert clean["tables"]["deals"] > 400 and clean["tables"]["activities"] > 8000


def test_killed_three_times_then_resumed(start_fake: Callable[..., FakeKommo], truth: Truth,
                                         clean: dict[str, Any], tmp_path: Path) -> None:
    fake = start_fake()
    home, db = tmp_path / "home", tmp_path / "w.duckdb"
    home.mkdir()
    connect(home, fake)
    rng = random.Random(20260615)
    for _ in range(3):
        before = len(fake.log)
        target = before + rng.randint(5, 45)
        proc = run_sync(home, db)
        while len(fake.log) < target and proc.poll() is None:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))  # anywhere: mid-request, mid-mapping, mid-commit
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    final = run_sync(home, db)
    output, _ = final.communicate(timeout=120)
    assert final.returncode == 0 and "sync, resumed done" in output, output
    truth.check(db)
    assert status_tables(home, db) == clean["tables"]
    with Warehouse.open(db, read_only=True) as wh:
        assert canonical_rows(wh) == clean["rows"]


def test_five_percent_faults(start_fake: Callable[..., FakeKommo], truth: Truth, clean: dict[str, Any],
                             tmp_path: Path) -> None:
    fake = start_fake(fault_rate=0.05, slow_s=0.5, seed=5)
    home, db = tmp_path / "home", tmp_path / "w.duckdb"
    home.mkdir()
    connect(home, fake)
    config = home / "config.toml"
    config.write_text(config.read_text().replace("timeout_s = 30.0", "timeout_s = 0.25"))
    proc = run_sync(home, db)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    statuses = fake.statuses()
    assert sum(s in (500, 502, 504) for s in statuses) >= 3
    assert len(statuses) > clean["requests"]  # the failed ones were tried again
    truth.check(db)
    assert status_tables(home, db) == clean["tables"]
    with Warehouse.open(db, read_only=True) as wh:
        assert canonical_rows(wh) == clean["rows"]
