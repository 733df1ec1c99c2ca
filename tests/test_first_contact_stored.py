"""Working seconds to first contact materialised in ``deal_progress`` (``derived_worktime``):
equal to ``WorkingDay`` measuring the canonical tables in NumPy (DST edges included) on DuckDB and
PostgreSQL, used by the metrics report only while the recorded zone and hours are current, and
measured afresh after a settings change until the derived tables are rebuilt."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from salesscope import settings
from salesscope.reports import registry
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.local_time import to_local_numpy
from salesscope.reports.metrics_timing import stored_hours_current
from salesscope.reports.period import Period
from salesscope.reports.working_time import WorkingDay
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.metrics import account
from fixtures.summary.engines import ENGINES, shared_warehouse

MAY = Period.parse("2026-05")


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def _numpy_seconds(wh: Warehouse) -> dict[int, int | None]:
    """Per deal, working seconds to first contact as the report measures them without the column."""
    pairs = wh.table("deal_progress").select("deal_id", "created_at", "first_contact_at").to_pyarrow()
    zone = wh.catalog().account.timezone  # type: ignore[union-attr]
    created = to_local_numpy(pairs["created_at"], zone)
    reached = to_local_numpy(pairs["first_contact_at"], zone)
    contacted = ~np.isnat(reached)
    seconds = WorkingDay.from_settings(wh).between_s(created[contacted], reached[contacted])
    found: dict[int, int | None] = dict.fromkeys(pairs["deal_id"].to_pylist())
    for deal, s in zip(np.asarray(pairs["deal_id"])[contacted].tolist(), seconds.tolist(), strict=True):
        found[deal] = int(s)
    return found


def test_stored_seconds_equal_the_numpy_measure(wh: Warehouse) -> None:
    stored = {r["deal_id"]: r["first_contact_work_s"] for r in wh.table("deal_progress")
              .select("deal_id", "first_contact_work_s").to_pyarrow().to_pylist()}
    assert stored == _numpy_seconds(wh)
    # deal 1: created Mon 10:00, first outgoing message 11:30; deal 11: Fri 17:00 (UTC+2) to
    # Mon 10:00 (UTC+3) across the spring DST change is 2 working hours; deal 9: never contacted
    assert (stored[1], stored[11], stored[9]) == (5400, 7200, None)
    assert stored_hours_current(wh, resolve(wh, Filters(period=MAY)))


def test_settings_change_falls_back_then_rebuild_stores_again(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    scope = resolve(wh, Filters(period=MAY))
    assert stored_hours_current(wh, scope)
    settings.set_value(wh, "work_start", "10:00")
    assert not stored_hours_current(wh, scope)  # the stored seconds are from 09:00
    measured = registry.run(wh, "metrics", Filters(period=MAY)).rows
    wh.refresh_derived()
    assert stored_hours_current(wh, scope)
    stored = registry.run(wh, "metrics", Filters(period=MAY)).rows
    assert stored == measured
    got = {r["metric"]: r["value"] for r in stored if r["metric"].startswith("first_contact")}
    # deals 1..5 from 10:00: 1.5, 4.5, 1.5, 3.0, 0.0 working hours; deal 6 never contacted
    assert got == {"first_contact_median_h": 1.5, "first_contact_p90_h": pytest.approx(3.9),
                   "first_contact_missing": 1.0}
