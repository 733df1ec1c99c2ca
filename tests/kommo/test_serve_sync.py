"""``salesscope sync`` and ``sync --full`` while ``salesscope serve`` holds the warehouse: both run
inside the server (a real serve process, a real fake Kommo), never as a lock error."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from kommo.conftest import TOKEN
from kommo.fake_server import FakeKommo
from kommo.test_cli import SALESSCOPE, cli, invoke
from salesscope.connectors.kommo.scheduled import FULL_SYNC_REQUEST
from salesscope.warehouse.store import Warehouse
from web.web_support import start_server


def _lead_requests(fake: FakeKommo, since: int) -> list[dict[str, str]]:
    return [dict(e.query) for e in fake.log[since:] if e.path == "/api/v4/leads" and e.status == 200]


def _synced_by_server(done: object) -> dict[str, object]:
    stderr = str(getattr(done, "stderr", ""))
    assert "Synced by the running server: " in stderr, stderr
    doc: dict[str, object] = json.loads(stderr.split("Synced by the running server: ", 1)[1])
    return doc


def test_full_and_incremental_sync_go_through_the_running_server(fake: FakeKommo, tmp_path: Path) -> None:
    assert invoke(tmp_path, "connect", "kommo", "--base-url", fake.url, "--rate-limit", "500",
                  KOMMO_TOKEN=TOKEN)[0] == 0
    connected = len(fake.log)
    first = cli(tmp_path, "sync")  # no server yet: the CLI syncs the file itself
    assert first.returncode == 0, first.stderr
    first_requests = len(fake.log) - connected
    with Warehouse.open(tmp_path / "salesscope.duckdb", read_only=True) as wh:
        counts = wh.counts()

    server = start_server(tmp_path, "--sync-every", "off")
    try:
        mark = len(fake.log)
        incremental = cli(tmp_path, "sync")
        assert incremental.returncode == 0, incremental.stderr
        result = _synced_by_server(incremental)
        assert result["full"] is False and int(str(result["requests"])) <= 15
        assert all("filter[updated_at][from]" in q for q in _lead_requests(fake, mark))

        mark = len(fake.log)
        full = cli(tmp_path, "sync", "--full")
        assert full.returncode == 0, full.stderr
        result = _synced_by_server(full)
        # Everything read again: as many requests as the first sync, no window on any list.
        assert result["full"] is True and result["requests"] == first_requests
        assert len(fake.log) - mark == first_requests
        assert not any("filter[updated_at][from]" in q for q in _lead_requests(fake, mark))
        assert not (tmp_path / FULL_SYNC_REQUEST).exists()  # served once

        status = cli(tmp_path, "status", "--format", "json")
        assert status.returncode == 0, status.stderr
        doc = json.loads(status.stdout)
        assert doc["last_sync"]["full"] is True and doc["tables"] == counts

        # A sync asked for while the server's own sync runs waits for it, then runs.
        fake.script.extend([("slow", 1.0)] * 8)  # the next run takes at least 8 s
        env = os.environ | {"SALESSCOPE_HOME": str(tmp_path), "SALESSCOPE_DB": ""}
        env.pop("KOMMO_TOKEN", None)
        running = subprocess.Popen([SALESSCOPE, "sync"], env=env, text=True, stderr=subprocess.PIPE)
        time.sleep(1.0)
        waiting = cli(tmp_path, "sync")
        assert running.wait(timeout=120) == 0 and waiting.returncode == 0, waiting.stderr
        assert "syncing already; waiting" in waiting.stderr and _synced_by_server(waiting)["full"] is False
    finally:
        assert server.stop() == 0
