"""A sync keeps DuckDB lean (one thread, a small memory limit) and gives the settings back; when
DuckDB runs out of memory even so, the run resumes without the limit and ends with the same data."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kommo.conftest import client_for
from kommo.fake_server import FakeKommo
from kommo.truth import canonical_rows
from salesscope.connectors.kommo import lean
from salesscope.connectors.kommo.sync import sync
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

    def spying(self: Warehouse) -> None:
        seen.append(_settings(self))
        refresh(self)

    monkeypatch.setattr(Warehouse, "refresh_derived", spying)
    with client_for(fake) as client:
        sync(wh, client)
    assert seen == [("122.0 MiB", 1)]  # 128 MB = 128,000,000 bytes
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
