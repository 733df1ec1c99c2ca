"""The dashboard on PostgreSQL serves concurrent requests in parallel, and closes its connections.

Each thread reads through a connection of its own (``PostgresEngine.ibis``). The proof does not
time anything: the test holds ``deal_progress`` under an ACCESS EXCLUSIVE lock from its own
session, fires four different funnel requests at once, and counts in ``pg_locks`` how many
sessions wait for that lock at the same moment. Requests taking turns on one connection would
show one waiter; parallel ones show four. After the lock is released every answer must still be
the hand-computed one (``tests/fixtures/funnel``, May 2026, pipeline Sales):

- Anna (team Alpha): reaches S1..Won as 10, 6, 5, 3, 2 (expected_may_by_manager_anna.csv);
- Alpha's team average is 6, 3.5, 3, 2, 1.5 over Anna and Borys → Borys = 2×6 − 10, 2×3.5 − 6,
  2×3 − 5, 2×2 − 3, 2×1.5 − 2 = 2, 1, 1, 1, 1;
- the company (expected_may.csv, Sales) 13, 8, 6, 4, 3 → Vira = company − Alpha's sums
  (12, 7, 6, 4, 3) = 1, 1, 0, 0, 0.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from salesscope.auth.users import UserStore
from salesscope.warehouse.store import Warehouse
from salesscope.web.app import create_app
from web.inprocess import TestClient
from web.web_support import PASSWORD, login

from conftest import postgres_url_or_skip
from fixtures.funnel import account

FUNNEL = "/reports/funnel.json?period=2026-05&pipeline=Sales"
EXPECTED = {
    f"{FUNNEL}&manager=anna": [10, 6, 5, 3, 2],
    f"{FUNNEL}&manager=borys": [2, 1, 1, 1, 1],
    f"{FUNNEL}&manager=vira": [1, 1, 0, 0, 0],
    FUNNEL: [13, 8, 6, 4, 3],
}


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as con:
        row = con.execute(sql).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.postgres
def test_concurrent_requests_run_at_once_and_stay_right(tmp_path: Path) -> None:
    url = postgres_url_or_skip()
    schema = f"salesscope_test_{uuid.uuid4().hex[:12]}"
    sessions = f"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'salesscope {schema}'"
    waiting = ("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND relation = "
               f"to_regclass('\"{schema}\".deal_progress')")
    wh = Warehouse.postgres(url, schema)
    try:
        wh.replace(account.tables())
        store = UserStore(tmp_path / "auth.sqlite3")
        store.add("boss", "head", PASSWORD)
        client = TestClient(create_app(wh, store))
        login(client, "boss")
        answers: dict[str, tuple[int, str]] = {}

        def ask(path: str) -> None:
            response = client.get(path)
            answers[path] = (response.status_code, response.text)

        most = 0
        with psycopg.connect(url, autocommit=True) as blocker:
            blocker.execute("BEGIN")
            blocker.execute(f'LOCK TABLE "{schema}".deal_progress IN ACCESS EXCLUSIVE MODE')  # type: ignore[arg-type]
            threads = [threading.Thread(target=ask, args=(path,)) for path in EXPECTED]
            for thread in threads:
                thread.start()

            def all_waiting() -> bool:
                nonlocal most
                most = max(most, _count(url, waiting))
                return most >= len(EXPECTED)

            _wait_for(all_waiting)
            blocker.execute("COMMIT")
        for thread in threads:
            thread.join(timeout=60)
        assert most == len(EXPECTED), f"only {most} request(s) reached PostgreSQL at once"
        for path, reached in EXPECTED.items():
            status, text = answers[path]
            assert status == 200, text
            assert [r["reached"] for r in json.loads(text)["rows"]] == reached
        assert _count(url, sessions) >= 2  # the writer's connection and the readers'
    finally:
        wh.engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        wh.close()
    _wait_for(lambda: _count(url, sessions) == 0, timeout_s=10)
    assert _count(url, sessions) == 0, "connections left open after Warehouse.close()"
