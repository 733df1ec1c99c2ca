"""The event list against hand-computed fixtures (tests/fixtures/activity), on every engine, and the
activity tables' local time on daylight-saving edges."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from salesscope.demo import people
from salesscope.reports import registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.activity import account
from fixtures.activity.demo import demo_warehouse  # noqa: F401 (the fixture demo_wh)
from fixtures.activity.expected import check_rows

MAY = Period.parse("2026-05")


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse(account.tables())


def events(wh: Warehouse, **filters: Any) -> list[dict[str, Any]]:
    options = filters.pop("options", {})
    return registry.run(wh, "events", Filters(**filters).with_options(**options)).rows


def test_every_column_newest_first(wh: Warehouse) -> None:
    # Stage move 906 has the stages before and after; the client's message 128 counts for Vira.
    check_rows(events(wh, period=MAY, managers=("vira",)), "expected_events_may_vira.csv")


def test_kind_filter_comma_list_and_limit(wh: Warehouse) -> None:
    anna = events(wh, period=MAY, managers=("Anna",), options={"kind": "note, call_out"})
    assert [r["id"] for r in anna] == [114, 112, 111, 110, 106, 102, 101]
    note = next(r for r in anna if r["id"] == 106)  # a note on a contact, no deal
    assert (note["deal"], note["contact"], note["link"]) == (
        None, "Olha Marchenko", "https://fixture.kommo.com/contacts/detail/501")
    newest = events(wh, period=MAY, managers=("Anna",),
                    options={"kind": "note,call_out", "limit": 3})
    assert [r["id"] for r in newest] == [114, 112, 111]


def test_deal_filter_shows_everyone_on_the_deal(wh: Warehouse) -> None:
    rows = events(wh, period=MAY, options={"deal": "1"})
    assert [(r["id"], r["author"], r["manager"]) for r in rows] == [
        (904, "(robot)", None), (107, "Anna Shevchuk", "Anna Shevchuk"),
        (902, "Anna Shevchuk", "Anna Shevchuk"), (901, "Anna Shevchuk", "Anna Shevchuk"),
        (104, "Anna Shevchuk", "Anna Shevchuk"), (102, "Anna Shevchuk", "Anna Shevchuk"),
        (115, "(client)", "Anna Shevchuk"), (101, "Anna Shevchuk", "Anna Shevchuk")]
    assert (rows[0]["before"], rows[0]["after"]) == ("Proposal", "Won")
    # 132 (the feed's own copy of move 901) is not listed twice.
    assert 132 not in {r["id"] for r in rows}


def test_all_time_and_month_edges(wh: Warehouse) -> None:
    assert len(events(wh)) == len(account.ACTIVITIES) - 1 + len(account.STAGE_CHANGES)
    june = events(wh, period=Period.parse("2026-06"))
    assert [(r["id"], str(r["at"])) for r in june] == [(126, "2026-06-01 00:10:00")]
    april = {r["id"] for r in events(wh, period=Period.parse("2026-04"))}
    assert april == {127, 129, 130, 131}


def test_deleted_deals_still_show_and_deal_filters_drop_dealless_actions(wh: Warehouse) -> None:
    vira = {r["id"] for r in events(wh, period=MAY, pipelines=("Sales",), managers=("Vira",))}
    assert vira == {122, 123, 124, 125, 128, 906}  # deal 4 is deleted
    anna = {r["id"] for r in events(wh, period=MAY, pipelines=("Sales",), managers=("Anna",))}
    assert 106 not in anna and 101 in anna


def test_no_links_without_a_crm_address(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables(base_url=None))
    assert {r["link"] for r in events(wh, period=MAY)} == {None}


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"kind": "call"}, "unknown kind 'call'; valid: deal_created, stage_change, note"),
        ({"deal": "12x"}, "malformed --deal '12x'"),
        ({"limit": -1}, "invalid --limit '-1'"),
    ],
)
def test_bad_options_name_the_value(wh: Warehouse, options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        events(wh, options=options)
    assert fragment in str(caught.value)


@pytest.fixture
def dst(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse(account.dst_tables())


def test_local_time_on_daylight_saving_edges(dst: Warehouse) -> None:
    """Both engines convert UTC to Kyiv time alike across both DST changes."""
    facts = dst.table("activity_facts").select("id", "at_local", "day").to_pyarrow().to_pylist()
    d, t = dt.date, dt.datetime
    assert {r["id"]: (r["at_local"], r["day"]) for r in facts} == {
        201: (t(2026, 3, 29, 2, 59, 59), d(2026, 3, 29)),
        202: (t(2026, 3, 29, 4, 0), d(2026, 3, 29)),
        205: (t(2025, 10, 25, 23, 59), d(2025, 10, 25)),
        206: (t(2025, 10, 26, 1, 0), d(2025, 10, 26)),
        203: (t(2025, 10, 26, 3, 30), d(2025, 10, 26)),
        204: (t(2025, 10, 26, 3, 30), d(2025, 10, 26)),
    }
    # Gaps are elapsed time: 22:00 → 00:30 UTC is 150 minutes, 00:30 → 01:30 UTC one hour, though
    # the clock reads 03:30 both times; the one-second gap at the spring jump is no break.
    gaps = dst.table("activity_gaps").select("day", "gap_start", "gap_end", "gap_s")
    assert sorted(gaps.to_pyarrow().to_pylist(), key=lambda r: r["gap_s"]) == [
        {"day": d(2025, 10, 26), "gap_start": t(2025, 10, 26, 3, 30),
         "gap_end": t(2025, 10, 26, 3, 30), "gap_s": 3600},
        {"day": d(2025, 10, 26), "gap_start": t(2025, 10, 26, 1, 0),
         "gap_end": t(2025, 10, 26, 3, 30), "gap_s": 9000},
    ]
    calls = dst.table("call_facts").select("id", "at_local", "hour", "weekday").to_pyarrow()
    assert sorted(calls.to_pylist(), key=lambda r: r["id"]) == [
        {"id": 301, "at_local": t(2026, 3, 29, 4, 0), "hour": 4, "weekday": 7},
        {"id": 302, "at_local": t(2025, 10, 26, 3, 30), "hour": 3, "weekday": 7},
    ]
    listed = events(dst, period=Period.between("2025-10-26", "2025-10-26"))
    assert [(r["id"], str(r["at"])) for r in listed] == [
        (204, "2025-10-26 03:30:00"), (203, "2025-10-26 03:30:00"), (206, "2025-10-26 01:00:00")]


def test_demo_feed_ends_with_andriys_farewell(demo_wh: Warehouse) -> None:
    from salesscope.demo.activities import FAREWELL
    from salesscope.demo.clock import DemoCalendar
    from salesscope.demo.story import last_working_day

    last = events(demo_wh, managers=("Andriy",), options={"limit": 1})
    assert [(r["kind"], r["after"], r["deal"]) for r in last] == [("note", FAREWELL, None)]
    calendar = DemoCalendar.for_today(dt.date(2026, 6, 15))
    assert last[0]["at"].date() == last_working_day(people.ANDRIY.id, calendar)
    assert last[0]["link"] is None  # the demo account has no CRM address


def test_to_stage_lists_moves_into_those_stages(wh: Warehouse) -> None:
    # Proposal stages: Sales 13 "Proposal", Other 22 "КП відправлено" (found by name).
    proposals = events(wh, period=MAY, options={"to_stage": "proposal"})
    assert [r["id"] for r in proposals] == [903, 906, 902, 905]  # newest first: 902 12:30, 905 10:30
    assert [r["id"] for r in events(wh, options={"to_stage": "12, 15"})] == [904, 901]  # S2, Won
    with pytest.raises(FilterError, match="malformed --to-stage 'soon'"):
        events(wh, options={"to_stage": "soon"})


def test_authored_leaves_out_clients_and_robots(wh: Warehouse) -> None:
    # Deal 1 in May: robot move 904 and client message 115 drop out; Anna's 6 actions stay.
    rows = events(wh, period=MAY, options={"deal": "1", "authored": True})
    assert [r["id"] for r in rows] == [107, 902, 901, 104, 102, 101]
