"""The metrics report runs its stays part on a second DuckDB connection in a worker thread
(``metrics_queries.fetch``): the same rows as running every part on this thread, and an error in
one of this thread's parts still waits for the worker before it surfaces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesscope.reports import metrics_queries, registry
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from fixtures.metrics import account
from fixtures.summary.engines import shared_warehouse

SPRING = Period.between("2026-03-20", "2026-05-20")  # not a calendar month: the queries run


@pytest.fixture(scope="module", params=["duckdb"])
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def test_side_part_gives_the_rows_of_one_thread(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    for filters in (Filters(period=SPRING), Filters(period=SPRING, pipelines=("Sales",))):
        scope = resolve(wh, filters)
        assert metrics_queries.stored_month(wh, scope) is None
        beside = registry.run(wh, "metrics", filters).rows
        monkeypatch.setattr(metrics_queries, "SIDE_PART", "(none)")
        alone = registry.run(wh, "metrics", filters).rows
        monkeypatch.undo()
        assert beside == alone
        assert any(r["metric"] == "time_in_stage_median_d" and r["base"] for r in beside)


def test_an_error_waits_for_the_side_part(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    real = metrics_queries.run_compiled

    def side(*args: object) -> object:
        result = real(*args)  # type: ignore[arg-type]
        ran.append("side")
        return result

    def failing(*args: object) -> object:
        raise RuntimeError("a part failed")

    monkeypatch.setattr(metrics_queries, "run_compiled", side)
    monkeypatch.setattr(metrics_queries, "closed", failing)
    with pytest.raises(RuntimeError, match="a part failed"):  # a period not compiled before
        registry.run(wh, "metrics", Filters(period=Period.between("2026-03-21", "2026-05-21")))
    assert ran == ["side"]
