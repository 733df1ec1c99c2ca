"""The dashboard on both engines: the hand-computed funnel account served from DuckDB and from
PostgreSQL, with concurrent requests (PostgreSQL shares one connection, so requests take turns).

Expected numbers are those of ``tests/fixtures/funnel/expected_may_by_manager_anna.csv``: Anna's
May cohort in Sales reaches S1..Won as 10, 6, 5, 3, 2.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from salesscope.auth.users import UserStore
from salesscope.web.app import create_app
from salesscope.web.tables import deal_link
from web.inprocess import TestClient
from web.web_support import PASSWORD, login

from fixtures.funnel import account

ANNA = "/reports/funnel.json?period=2026-05&pipeline=Sales&manager=anna"


def test_pages_read_the_same_numbers_on_both_engines(make_warehouse, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh = make_warehouse(account.tables())
    store = UserStore(tmp_path / "auth.sqlite3")
    store.add("boss", "head", PASSWORD)
    store.add("anna", "manager", PASSWORD, manager="Anna")
    app = create_app(wh, store)
    boss, anna = TestClient(app), TestClient(app)
    login(boss, "boss")
    login(anna, "anna")

    answers: list[tuple[int, str]] = []

    def ask(client: TestClient, path: str) -> None:
        response = client.get(path)
        answers.append((response.status_code, response.text))

    paths = [ANNA, "/reports/funnel?period=2026-05", "/", "/deals.json?period=2026-05"] * 2
    threads = [threading.Thread(target=ask, args=(boss, p)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [code for code, _ in answers] == [200] * len(paths)

    rows = json.loads(boss.get(ANNA).text)["rows"]
    assert [r["reached"] for r in rows] == [10, 6, 5, 3, 2]
    for row in rows:
        link = deal_link("funnel", row, "reached")
        assert link is not None
        deals = json.loads(boss.get(link.replace("/deals?", "/deals.json?", 1)).text)["rows"]
        assert len(deals) == row["reached"]
    own = json.loads(anna.get("/deals.json?period=2026-05").text)["rows"]
    assert own and {d["manager"] for d in own} == {"Anna Shevchuk"}
    assert anna.get("/deals.json?period=2026-05&manager=Borys").status_code == 403


def test_a_sync_job_updates_the_pages_and_the_status_line(tmp_path: Path) -> None:
    """A job run in the server (as `salesscope sync` asks through the control API) writes under
    the writer lock; the next page shows its data, and a failed run is named on every page."""
    import datetime as dt

    from salesscope.warehouse.arrow import rows_to_arrow
    from salesscope.warehouse.store import Warehouse
    from salesscope.web.jobs import Job

    finished = dt.datetime(2026, 6, 16, 7, 30)

    def sync(wh: Warehouse) -> dict[str, int]:
        wh.engine.append("sync_state", rows_to_arrow("sync_state", [
            {"source": "kommo", "entity": "leads", "started_at": finished, "finished_at": finished,
             "rows": 1}]))
        return {"rows": 1}

    def broken(wh: Warehouse) -> None:
        raise RuntimeError("Kommo answered 402 Payment Required")

    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        wh.replace(account.tables())
        store = UserStore(tmp_path / "auth.sqlite3")
        store.add("boss", "head", PASSWORD)
        app = create_app(wh, store, jobs=[Job("sync", sync, 600), Job("other", broken)])
        client = TestClient(app)
        client.headers["accept-language"] = "en"
        login(client, "boss")
        before = client.get("/reports/funnel?period=2026-05").text
        assert "15 Jun 2026, 12:00" in before  # the fixture's own sync_state, in Kyiv time
        state = app.state.web
        assert state.jobs.run_now("sync").ok
        after = client.get("/reports/funnel?period=2026-05").text
        assert "16 Jun 2026, 10:30" in after and "Synced from import, kommo." in after
        assert state.jobs.run_now("other").ok is False
        failed = client.get("/").text
        assert "Last other failed at" in failed and "402 Payment Required" in failed
