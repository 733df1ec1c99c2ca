"""Work time against hand-computed fixtures (tests/fixtures/activity), on every engine, and the
demo's working days (lunch 13:00-14:00, Andriy's last day)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from salesscope.demo import people
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.story import last_working_day
from salesscope.reports import registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.activity import account
from fixtures.activity.demo import TODAY, demo_warehouse  # noqa: F401 (the fixture demo_wh)
from fixtures.activity.drilled import listed, mismatches
from fixtures.activity.expected import check_rows

W18, W19, MAY = Period.parse("2026-W18"), Period.parse("2026-W19"), Period.parse("2026-05")


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse(account.tables())


def worktime(wh: Warehouse, break_min: int | None = None, **filters: Any) -> list[dict[str, Any]]:
    options = {"break_min": break_min} if break_min is not None else {}
    return registry.run(wh, "worktime", Filters(**filters).with_options(**options)).rows


def test_every_column_for_a_team_week(wh: Warehouse) -> None:
    # A gap of exactly 15 minutes is no break; of two breaks overlapping 13:00-14:00 the one
    # overlapping more is lunch; Wednesday's client message is nobody's work: absent.
    check_rows(worktime(wh, period=W19, teams=("Alpha",)), "expected_worktime_w19_alpha.csv")


def test_break_threshold(wh: Warehouse) -> None:
    rows = worktime(wh, break_min=30, period=W19, teams=("Alpha",))
    monday = {r["manager"]: r for r in rows if r["day"] == "2026-05-04"}
    anna, borys = monday["Anna Shevchuk"], monday["Borys Ivanenko"]
    assert (anna["breaks"], anna["break_minutes"], anna["active_minutes"], anna["lunch"]) == (
        3, 220, 100, "13:20–14:10")
    assert anna["break_list"] == ("10:20–12:30 (130 min); 12:30–13:10 (40 min); "
                                  "13:20–14:10 (50 min, lunch)")
    assert (borys["breaks"], borys["active_minutes"], borys["break_list"]) == (0, 65, None)


def test_leaver_and_newcomer_spans(wh: Warehouse) -> None:
    # Hanna (deactivated) is shown while she acted and not after her last day; Vira not before
    # her first action (30 April, 23:30 local).
    check_rows(worktime(wh, period=W18, teams=("Beta",)), "expected_worktime_w18_beta.csv")


def test_named_manager_who_never_acted_is_absent_on_working_days(wh: Warehouse) -> None:
    rows = worktime(wh, period=W19, managers=("Ostap",))
    assert [(r["day"], r["status"]) for r in rows] == [
        (f"2026-05-0{d}", "absent") for d in range(4, 9)]


def test_no_days_after_the_data(wh: Warehouse) -> None:
    rows = worktime(wh, period=Period.parse("2026-06"), managers=("Borys",))
    assert rows[-1]["day"] == "2026-06-15" and len(rows) == 11


def test_deal_filter_computes_gaps_between_the_remaining_actions(wh: Warehouse) -> None:
    monday = worktime(wh, period=Period.between("2026-05-04", "2026-05-04"), managers=("Anna",),
                      pipelines=("Sales",))[0]
    # Without the contact note at 13:20 the 13:10-14:10 gap is one break, and it is lunch.
    assert (monday["actions"], monday["breaks"], monday["break_minutes"], monday["active_minutes"],
            monday["lunch"], monday["lunch_minutes"]) == (9, 5, 285, 35, "13:10–14:10", 60)
    # When the filter keeps every action, both ways of finding gaps agree.
    plain = undrilled(worktime(wh, period=W19, managers=("Vira",)))
    assert undrilled(worktime(wh, period=W19, managers=("Vira",), pipelines=("Sales",))) == plain


def undrilled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without their drill (which names the filters asked)."""
    return [{k: v for k, v in r.items() if k != "drill"} for r in rows]


def test_elapsed_time_across_the_autumn_clock_change(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.dst_tables())
    [sunday] = worktime(wh, period=Period.between("2025-10-26", "2025-10-26"))
    # 01:00 → 03:30 EEST is 150 minutes; 03:30 EEST → 03:30 EET is one hour.
    assert (sunday["first_action"], sunday["last_action"], sunday["actions"], sunday["break_list"],
            sunday["active_minutes"]) == (
        "01:00", "03:30", 3, "01:00–03:30 (150 min); 03:30–03:30 (60 min)", 0)


def test_lunch_hours_come_from_the_settings(wh: Warehouse) -> None:
    from salesscope import settings

    settings.set_value(wh, "lunch_start", "12:00")
    settings.set_value(wh, "lunch_end", "13:00")
    anna = worktime(wh, period=Period.between("2026-05-04", "2026-05-04"), managers=("Anna",))[0]
    assert (anna["lunch"], anna["lunch_minutes"]) == ("10:20–12:30", 130)


def test_break_min_must_be_positive(wh: Warehouse) -> None:
    with pytest.raises(FilterError, match="invalid --break-min '0'"):
        worktime(wh, break_min=0)


def test_demo_lunch_is_marked_every_working_day(demo_wh: Warehouse) -> None:
    rows = worktime(demo_wh, period=MAY, teams=(people.OLENA_TEAM.name,))
    present = [r for r in rows if r["status"] == "present"]
    assert len(present) == 3 * 21 and not [r for r in rows if r["status"] == "absent"]
    for row in present:
        start, end = row["lunch"].split("–")
        assert start <= "13:00" and end >= "14:00", row
        assert "08:30" <= row["first_action"] < "10:30" <= "16:30" <= row["last_action"] < "18:30"
        assert 120 <= row["active_minutes"] <= 480, row


def test_demo_andriy_last_day(demo_wh: Warehouse) -> None:
    rows = worktime(demo_wh, managers=("Andriy",))
    last = last_working_day(people.ANDRIY.id, DemoCalendar.for_today(TODAY))
    assert last is not None and rows[-1]["day"] == last.isoformat()
    assert rows[-1]["status"] == "present"
    assert dt.date.fromisoformat(rows[0]["day"]) < last - dt.timedelta(days=300)


# -- drill-down: a day's actions open as the event list of that person and day -------------------


@pytest.mark.parametrize("filters", [
    {"period": W19, "teams": ("Alpha",)},  # Anna's Monday: 10 of her own (101-108, 901, 902; the
    # client's 09:05 message is hers in the employee report, not her work); Wednesday absent: 0
    {"period": W18, "teams": ("Beta",)},  # Vira's 30 April 23:30 note; Hanna's last days
    {"period": W19, "pipelines": ("Other",)},  # only Borys's actions on deal 3
])
def test_every_days_actions_open_as_exactly_that_many_events(wh: Warehouse, filters: dict[str, Any]) -> None:
    result = worktime(wh, **filters)
    assert mismatches(wh, "worktime", result) == []
    assert all(r["drill"] for r in result)
    assert sum(r["actions"] for r in result) > 0


def test_the_drill_is_the_persons_own_actions_that_day(wh: Warehouse) -> None:
    wednesday = next(r for r in worktime(wh, period=W19, managers=("Anna",)) if r["day"] == "2026-05-06")
    assert wednesday["status"] == "absent"
    assert wednesday["drill"] == "events?from=2026-05-06&to=2026-05-06&manager=1&authored=true"
    assert listed(wh, wednesday["drill"]) == []
    everything = wednesday["drill"].replace("&authored=true", "")
    assert [r["kind"] for r in listed(wh, everything)] == ["message_in"]  # 116: the client's
