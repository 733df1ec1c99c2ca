"""The metric catalogue and ``report metrics`` against a hand-computed fixture, on DuckDB and
PostgreSQL (exact continuous percentiles on both), plus working time and local time on DST edges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pytest

from salesscope import settings
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.reports.local_time import transitions
from salesscope.reports.metrics import BY_NAME, CATALOGUE, metric
from salesscope.reports.period import Period
from salesscope.reports.working_time import WorkingDay
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.metrics import account
from fixtures.summary.engines import ENGINES, shared_warehouse
from fixtures.summary.expected import check_rows, read

MAY = Period.parse("2026-05")


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def values(wh: Warehouse, filters: Filters) -> dict[tuple[str, str | None], float | None]:
    return {(r["metric"], r["segment"]): r["value"] for r in registry.run(wh, "metrics", filters).rows}


def test_every_metric_for_may(wh: Warehouse) -> None:
    result = registry.run(wh, "metrics", Filters(period=MAY))
    check_rows(result.rows, read("metrics", "expected_may.csv"))
    for row in result.rows:
        m = metric(row["metric"])
        assert (row["label"], row["definition"]) == (m.label, m.definition)
    assert {r["unit"] for r in result.rows if r["metric"] == "average_check"} == {"UAH"}


def test_pipeline_filter(wh: Warehouse) -> None:
    got = values(wh, Filters(period=MAY, pipelines=("Sales",)))
    assert [k[1] for k in got if k[0] == "leads_per_channel"] == ["(none)", "google", "phone"]
    assert got[("deal_to_payment", None)] == pytest.approx(2 / 5)
    assert got[("proposal_rate", None)] == pytest.approx(3 / 5)
    # buyers in Sales: C1 (deals 1, 4: repeat) and C6 (deal 7; deal 8 is won in June)
    assert got[("repeat_buyer_share", None)] == pytest.approx(1 / 2)
    assert [k[1] for k in got if k[0] == "time_in_stage_median_d"] == [
        "Sales: S1", "Sales: S2", "Sales: Proposal", "Sales: S4"]


def test_first_contact_across_the_spring_dst_change(wh: Warehouse) -> None:
    """Fri 17:00 (UTC+2) to Mon 10:00 (UTC+3) is 2 working hours; read in UTC it would be 3."""
    got = values(wh, Filters(period=Period.parse("2026-03")))
    assert got[("first_contact_median_h", None)] == pytest.approx(2.0)
    assert got[("first_contact_missing", None)] == 1  # deal 9 was never contacted


def test_working_hours_come_from_settings(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    settings.set_value(wh, "work_start", "10:00")
    got = values(wh, Filters(period=MAY))
    # deals 1..5: 1.5, 4.5, 1.5, 3.0, 0.0 working hours from 10:00
    assert got[("first_contact_median_h", None)] == pytest.approx(1.5)


def test_empty_period_gives_no_values_not_errors(wh: Warehouse) -> None:
    got = values(wh, Filters(period=Period.parse("2025-01")))
    assert got[("deal_to_payment", None)] is None
    assert got[("cycle_median_d", None)] is None
    assert got[("first_contact_median_h", None)] is None
    assert got[("time_in_stage_median_d", "Sales: S1")] is None


def test_catalogue_is_complete_and_every_metric_is_reported(wh: Warehouse) -> None:
    assert len(BY_NAME) == len(CATALOGUE)
    for m in CATALOGUE:
        assert m.label and len(m.definition) > 40 and m.format
    reported = {r["metric"] for r in registry.run(wh, "metrics", Filters(period=MAY)).rows}
    assert reported == set(BY_NAME)
    with pytest.raises(KeyError, match="no metric 'wins'; catalogue: leads_per_channel"):
        metric("wins")


def test_working_day_counts_weekdays_and_skips_lunch() -> None:
    day = WorkingDay.of(dt.time(9), dt.time(18), dt.time(13), dt.time(14))
    start = np.array(["2026-05-08T17:30", "2026-05-12T09:00", "2026-05-04T17:00",
                      "2026-05-09T10:00", "2026-05-04T20:00"], dtype="datetime64[s]")
    end = np.array(["2026-05-11T11:00", "2026-05-12T13:30", "2026-05-05T14:30",
                    "2026-05-10T12:00", "2026-05-05T08:00"], dtype="datetime64[s]")
    hours = day.between_s(start, end) / 3600
    assert hours.tolist() == [2.5, 4.0, 5.5, 0.0, 0.0]
    assert day.length_s == 8 * 3600


def test_kyiv_offsets_change_twice_a_year() -> None:
    spans = transitions("Europe/Kyiv", dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31))
    assert spans == [(dt.datetime(2026, 1, 1), 7200), (dt.datetime(2026, 3, 29, 1, 0), 10800),
                     (dt.datetime(2026, 10, 25, 1, 0), 7200)]
