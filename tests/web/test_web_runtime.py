"""The server's result cache: one computation per key at a time, and results computed again in the
background after a write, so the first view after a sync finds them ready and right.

Real DuckDB warehouse with the funnel fixture account (``tests/fixtures/funnel``): its deals table
has 17 rows (every deal of its story table, deleted ones included: ``account.tables()["deals"]``),
so after deleting one, counting the deals gives 16. The compiled SQL kept across writes: the
summary fixture account (``tests/fixtures/summary``), on both engines.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

import pytest

from salesscope import settings
from salesscope.reports import activity_cache, registry
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse
from salesscope.web.runtime import Runtime

from conftest import WarehouseFactory
from fixtures.funnel import account
from fixtures.summary import account as summary_account

DEALS_IN_FIXTURE = 17


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    wh.replace(account.tables())
    yield Runtime(wh)
    wh.close()


def deal_count(rt: Runtime) -> int:
    return int(rt.warehouse.table("deals").count().to_pyarrow().as_py())


def wait_for(predicate: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def never() -> int:
    raise AssertionError("computed again: the value should have come from the cache")


def test_the_fixture_has_the_deals_counted_here(runtime: Runtime) -> None:
    assert deal_count(runtime) == DEALS_IN_FIXTURE == account.tables()["deals"].num_rows


def test_a_key_being_computed_is_waited_for_not_computed_twice(runtime: Runtime) -> None:
    release, started = threading.Event(), threading.Event()
    calls: list[str] = []
    answers: dict[str, int] = {}

    def slow() -> int:
        calls.append(threading.current_thread().name)
        started.set()
        assert release.wait(30)
        return deal_count(runtime)

    def ask(name: str) -> None:
        answers[name] = runtime.cache.get_or_compute(runtime.warehouse, ("report", "deals"), slow)

    first = threading.Thread(target=ask, args=("first",), name="first")
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=ask, args=("second",), name="second")
    second.start()
    time.sleep(0.2)
    assert second.is_alive(), "the second asker must wait for the first computation"
    release.set()
    first.join(30)
    second.join(30)
    assert calls == ["first"]
    assert answers == {"first": DEALS_IN_FIXTURE, "second": DEALS_IN_FIXTURE}


def test_a_failed_computation_lets_the_waiter_compute_itself(runtime: Runtime) -> None:
    release, started = threading.Event(), threading.Event()

    def broken() -> int:
        started.set()
        assert release.wait(30)
        raise RuntimeError("boom")

    errors: list[str] = []

    def ask_broken() -> None:
        try:
            runtime.cache.get_or_compute(runtime.warehouse, ("report", "x"), broken)
        except RuntimeError as exc:
            errors.append(str(exc))

    first = threading.Thread(target=ask_broken)
    first.start()
    assert started.wait(30)
    answer: list[int] = []
    second = threading.Thread(target=lambda: answer.append(
        runtime.cache.get_or_compute(runtime.warehouse, ("report", "x"), lambda: 7)))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert errors == ["boom"] and answer == [7]


def test_after_a_write_recent_reports_are_computed_again_with_the_new_data(runtime: Runtime) -> None:
    runtime.refresher.start()
    try:
        cache, wh = runtime.cache, runtime.warehouse
        assert cache.get_or_compute(wh, ("report", "deals"), lambda: deal_count(runtime)) == DEALS_IN_FIXTURE
        assert cache.get_or_compute(wh, ("html", "deals"), lambda: deal_count(runtime)) == DEALS_IN_FIXTURE
        assert cache.get_or_compute(wh, ("visible", "deals", "html", "uk"),
                                    lambda: deal_count(runtime)) == DEALS_IN_FIXTURE
        before = runtime.refresher.refreshed
        runtime.write(lambda w: w.engine.execute("DELETE FROM deals WHERE id = (SELECT min(id) FROM deals)"))
        assert wait_for(lambda: runtime.refresher.refreshed > before)
        assert cache.get_or_compute(wh, ("report", "deals"), never) == DEALS_IN_FIXTURE - 1
        computed: list[int] = []

        def html() -> int:
            computed.append(1)
            return deal_count(runtime)

        # An HTML body may hold an earlier result: it is never computed ahead, only when asked.
        assert cache.get_or_compute(wh, ("html", "deals"), html) == DEALS_IN_FIXTURE - 1
        assert cache.get_or_compute(wh, ("visible", "deals", "html", "uk"), html) == DEALS_IN_FIXTURE - 1
        assert computed == [1, 1]
    finally:
        runtime.refresher.stop()


def test_without_start_nothing_is_computed_in_the_background(runtime: Runtime) -> None:
    cache, wh = runtime.cache, runtime.warehouse
    cache.get_or_compute(wh, ("report", "deals"), lambda: deal_count(runtime))
    runtime.write(lambda w: w.engine.execute("DELETE FROM deals WHERE id = (SELECT min(id) FROM deals)"))
    time.sleep(0.3)
    assert runtime.refresher.refreshed == 0
    assert cache.get_or_compute(wh, ("report", "deals"), lambda: deal_count(runtime)) == DEALS_IN_FIXTURE - 1


def test_the_refresh_computes_the_overview_first_and_gives_way_to_requests(runtime: Runtime) -> None:
    order: list[str] = []

    def recipe(name: str) -> Callable[[], str]:
        def compute() -> str:
            order.append(name)
            return name
        return compute

    cache, wh = runtime.cache, runtime.warehouse
    for key in (("report", "a"), ("overview", "head"), ("report", "b")):
        cache.get_or_compute(wh, key, recipe(str(key)))
    order.clear()
    runtime.refresher.start()
    try:
        with runtime.serving():  # a request in flight: the refresh waits (at most 2 s per value)
            runtime.write(lambda w: None)
            assert wait_for(lambda: runtime.refresher.busy)
            time.sleep(0.5)
            assert order == []
        assert wait_for(lambda: not runtime.refresher.busy)
        assert order == ["('overview', 'head')", "('report', 'b')", "('report', 'a')"]
        # the refresh's own asking leaves the order of use as people made it
        assert [k for k, _ in cache.recipes()] == [("report", "b"), ("overview", "head"), ("report", "a")]
    finally:
        runtime.refresher.stop()


# -- the SQL of a report, compiled once, stays right across writes ------------------------------


def sync_finished(at: dt.datetime) -> Callable[[Warehouse], None]:
    """A write as a sync makes one: its finished_at moves the data's "now" (``data_as_of``)."""
    row = rows_to_arrow("sync_state", [{"source": "import", "entity": "all", "finished_at": at}])
    return lambda w: w.upsert({"sync_state": row})


def in_thread(compute: Callable[[], Any]) -> Any:
    """``compute()`` on a new thread (a request thread: its own Ibis backend and connection)."""
    answer: list[Any] = []
    worker = threading.Thread(target=lambda: answer.append(compute()))
    worker.start()
    worker.join()
    return answer[0]


def overdue(wh: Warehouse) -> dict[str, object]:
    rows = registry.run(wh, "summary", Filters(period=Period.parse("2026-05"))).rows
    return {str(r["manager"]): r["tasks_overdue"] for r in rows}


def compiled(wh: Warehouse) -> dict[Hashable, tuple[str, Any]]:
    return dict(activity_cache._compiled(wh))


def test_overdue_tasks_follow_each_sync_through_sql_compiled_once(make_warehouse: WarehouseFactory) -> None:
    # Open tasks (tests/fixtures/summary/account.py TASKS, Kyiv times, UTC+3 in June): Anna's 2 (due
    # 06-20 10:00 = 07:00 UTC) and 3 (06-15 11:00 = 08:00 UTC), Borys's 6 (06-15 12:30 = 09:30 UTC),
    # Vira's 7 (03-05). Overdue = due before the newest finished sync (UTC): at 06-15 09:00 tasks 3
    # and 7; at 10:00 also task 6; at 06-20 08:00 also task 2.
    rt = Runtime(make_warehouse(summary_account.tables()))
    wh = rt.warehouse
    assert wh.data_as_of() == summary_account.AS_OF == dt.datetime(2026, 6, 15, 9)
    people = ("Anna Shevchuk", "Borys Ivanenko", "Vira Hnatiuk", "Total")
    assert [overdue(wh)[p] for p in people] == [1, 0, 1, 2]
    kept = compiled(wh)
    rt.write(sync_finished(dt.datetime(2026, 6, 15, 10)))
    on_another_thread = in_thread(lambda: overdue(wh))
    assert [on_another_thread[p] for p in people] == [1, 1, 1, 3]
    rt.write(sync_finished(dt.datetime(2026, 6, 20, 8)))
    assert [overdue(wh)[p] for p in people] == [2, 1, 1, 4]
    # On DuckDB the SQL is compiled once, before the first write, and run by another thread after it:
    # nothing was compiled again (PostgreSQL runs the Ibis expression each time).
    if wh.backend.name == "duckdb":
        assert kept and compiled(wh).keys() == kept.keys()
        assert all(compiled(wh)[k] is v for k, v in kept.items())


def test_compiled_sql_is_kept_per_warehouse_and_runs_on_any_thread(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "a.duckdb") as one, Warehouse.open(tmp_path / "b.duckdb") as other:
        one.replace(summary_account.tables())
        other.replace(summary_account.tables())
        rt = Runtime(one)
        before = overdue(one)
        rt.write(lambda w: settings.set_value(w, "overload_limit", "1"))
        assert in_thread(lambda: overdue(one)) == before
        # Another open warehouse compiles its own (its tables' columns are its own migrations').
        assert compiled(other) == {}
        assert overdue(other) == before and compiled(other).keys() == compiled(one).keys()
