"""The metrics report for all time, and for a stored calendar month, without other filters reads
rows stored at load time (``derived_metrics``); they must equal what its queries compute over the
same deals, on DuckDB and PostgreSQL — checked against the same report with every pipeline named,
which runs the queries."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest

from salesscope import settings
from salesscope.reports import registry
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.metrics_queries import stored_month, stored_months, unfiltered
from salesscope.reports.period import Period
from salesscope.warehouse import derived_metrics
from salesscope.warehouse.derived_metrics import ALL_TIME_TABLES, MONTH_TABLES
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.metrics import account
from fixtures.summary.engines import ENGINES, shared_warehouse


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def _every_pipeline(wh: Warehouse, period: Period | None = None) -> Filters:
    return Filters(period=period, pipelines=tuple(str(p["name"]) for p in wh.catalog().pipelines))


def test_stored_all_time_equals_the_queries(wh: Warehouse) -> None:
    assert unfiltered(resolve(wh, Filters()))
    assert not unfiltered(resolve(wh, _every_pipeline(wh)))
    stored = registry.run(wh, "metrics", Filters()).rows
    computed = registry.run(wh, "metrics", _every_pipeline(wh)).rows
    assert stored == computed
    got = {(r["metric"], r["segment"]): (r["value"], r["base"]) for r in stored}
    # by hand over the fixture's ten live deals (deal 10 is deleted): wins 1, 4, 5, 7, 8, 9 of
    # eight closed (2 and 6 lost); buyers C1 (two wins), C4 (two wins), C6 (two wins)
    assert got[("win_rate", None)] == (0.75, 8)
    assert got[("repeat_buyer_share", None)] == (1.0, 3)
    assert got[("first_contact_missing", None)][1] == 10
    assert wh.table(ALL_TIME_TABLES["stays"]).count().to_pyarrow().as_py() > 0


def test_all_time_first_contact_follows_changed_hours(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    settings.set_value(wh, "work_start", "10:00")  # the stored rows are from 09:00
    stored = registry.run(wh, "metrics", Filters()).rows
    computed = registry.run(wh, "metrics", _every_pipeline(wh)).rows
    assert stored == computed


MAY = Period.parse("2026-05")


def test_stored_months_equal_the_queries(wh: Warehouse) -> None:
    months = {(r["start_utc"], r["end_utc"]) for r in wh.rows(MONTH_TABLES["closed"])}
    # the fixture's deals are created from March to May 2026 and closed by June (Kyiv: +02/+03)
    assert (dt.datetime(2026, 4, 30, 21), dt.datetime(2026, 5, 31, 21)) in months
    for start, end in sorted(months):
        local = (start + dt.timedelta(hours=3)).date()
        period = Period.parse(f"{local:%Y-%m}")
        assert stored_month(wh, resolve(wh, Filters(period=period))) == (start, end)
        assert stored_month(wh, resolve(wh, _every_pipeline(wh, period))) is None
        stored = registry.run(wh, "metrics", Filters(period=period)).rows
        assert stored == registry.run(wh, "metrics", _every_pipeline(wh, period)).rows, period


def test_periods_other_than_a_stored_month_run_the_queries(wh: Warehouse) -> None:
    for period in (Period.parse("2026-W19"), Period.parse("2026-Q2"), Period.parse("2024-05"),
                   Period.between("2026-05-01", "2026-05-30")):
        scope = resolve(wh, Filters(period=period))
        assert stored_month(wh, scope) is None, period
        assert (registry.run(wh, "metrics", Filters(period=period)).rows
                == registry.run(wh, "metrics", _every_pipeline(wh, period)).rows)


def test_a_changed_zone_never_reads_the_stored_months(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    kyiv_may = registry.run(wh, "metrics", Filters(period=MAY)).rows
    wh.engine.execute("UPDATE account SET timezone = 'America/New_York'")  # no rebuild
    wh.invalidate()
    assert stored_month(wh, resolve(wh, Filters(period=MAY))) is None
    new_york_may = registry.run(wh, "metrics", Filters(period=MAY)).rows
    assert new_york_may == registry.run(wh, "metrics", _every_pipeline(wh, MAY)).rows
    assert new_york_may != kyiv_may


def test_stored_months_are_local_calendar_months_newest_first_kept() -> None:
    # Kyiv: a deal at 21:30 UTC on 31 March is on 1 April locally; DST moves the bounds' hour
    got = stored_months("Europe/Kyiv", dt.datetime(2026, 3, 31, 21, 30), dt.datetime(2026, 11, 1, 1))
    assert got[0] == (dt.datetime(2026, 3, 31, 21), dt.datetime(2026, 4, 30, 21))
    assert got[-1] == (dt.datetime(2026, 10, 31, 22), dt.datetime(2026, 11, 30, 22))
    assert len(got) == 8
    assert all(a[1] == b[0] for a, b in itertools.pairwise(got))
    newest = stored_months("UTC", dt.datetime(2020, 1, 1), dt.datetime(2026, 5, 2), limit=3)
    assert [start.month for start, _ in newest] == [3, 4, 5]
    assert stored_months("UTC", None, None) == []


def test_a_rebuild_with_the_same_months_compiles_nothing(make_warehouse: WarehouseFactory) -> None:
    make_warehouse(account.tables())
    before = derived_metrics._statements.cache_info()
    wh = make_warehouse(account.tables())  # same months and columns: the SQL is reused
    assert derived_metrics._statements.cache_info().hits > before.hits
    assert registry.run(wh, "metrics", Filters(period=MAY)).rows == registry.run(
        wh, "metrics", _every_pipeline(wh, MAY)).rows
