"""The employee report against hand-computed fixtures (tests/fixtures/activity), on every engine."""

from __future__ import annotations

from typing import Any

import pytest

from salesscope.demo import people
from salesscope.reports import activity_drill, registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse
from salesscope.web.tables import deal_link

from conftest import WarehouseFactory
from fixtures.activity import account
from fixtures.activity.demo import demo_warehouse  # noqa: F401 (the fixture demo_wh)
from fixtures.activity.drilled import listed, mismatches
from fixtures.activity.expected import check_rows

MAY = Period.parse("2026-05")
W19 = Period.parse("2026-W19")


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse(account.tables())


def rows(wh: Warehouse, **filters: Any) -> list[dict[str, Any]]:
    return registry.run(wh, "employees", Filters(**filters)).rows


def by_manager(result: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["manager"]: r for r in result}


def test_every_column_for_may(wh: Warehouse) -> None:
    # Hanna (deactivated, nothing in May) and Ostap (never acted) are not listed.
    check_rows(rows(wh, period=MAY), "expected_employees_may.csv")


def test_one_manager_reads_against_the_whole_team(wh: Warehouse) -> None:
    result = rows(wh, period=MAY, managers=("anna",))
    assert [r["manager"] for r in result] == ["Anna Shevchuk", "Team median: Alpha",
                                              "Company median"]
    assert result[1]["actions"] == 12 and result[2]["actions"] == 6


def test_by_day_lists_every_working_day_with_the_day_medians(wh: Warehouse) -> None:
    check_rows(rows(wh, period=W19, managers=("Borys",), by="day"),
               "expected_employees_w19_borys_by_day.csv")


def test_by_day_shows_weekend_work_and_keeps_medians_to_those_working(wh: Warehouse) -> None:
    result = rows(wh, period=W19, managers=("Anna",), by="day")
    saturday = [r for r in result if r["day"] == "2026-05-09"]
    assert [(r["row_kind"], r["notes"], r["actions"]) for r in saturday] == [
        ("manager", 1, 1), ("team_median", 1, 1), ("company_median", 1, 1)]
    assert "2026-05-10" not in {r["day"] for r in result}


def test_named_idle_manager_gets_zeros(wh: Warehouse) -> None:
    result = rows(wh, period=MAY, managers=("Ostap", "Hanna"))
    mine = [r for r in result if r["row_kind"] == "manager"]
    assert [r["manager"] for r in mine] == ["Hanna Lytvyn", "Ostap Bilyk"]
    assert all(r["actions"] == 0 and r["calls_out"] == 0 for r in mine)


def test_period_is_local_days(wh: Warehouse) -> None:
    june = by_manager(rows(wh, period=Period.parse("2026-06")))
    assert june["Vira Hnatiuk"]["calls_in"] == 1 and june["Vira Hnatiuk"]["calls_out"] == 0
    april = by_manager(rows(wh, period=Period.parse("2026-04")))
    assert april["Vira Hnatiuk"]["notes"] == 1 and april["Vira Hnatiuk"]["messages_out"] == 0
    assert april["Hanna Lytvyn"]["notes"] == 2


def test_deal_filters_keep_only_actions_on_those_deals(wh: Warehouse) -> None:
    other = by_manager(rows(wh, period=MAY, pipelines=("Other",)))
    assert {k: other["Borys Ivanenko"][k] for k in
            ("deals_created", "stage_changes", "proposals_sent", "calls_out", "messages_out",
             "tasks_created", "actions")} == {
        "deals_created": 1, "stage_changes": 1, "proposals_sent": 1, "calls_out": 1,
        "messages_out": 0, "tasks_created": 0, "actions": 3}
    assert other["Anna Shevchuk"]["actions"] == 0  # listed with zeros; her contact note left out
    for given in ({"sources": ("Website",)}, {"tags": ("vip",)}):
        anna = by_manager(rows(wh, period=MAY, **given))["Anna Shevchuk"]
        assert (anna["messages_out"], anna["calls_in"], anna["calls_out"], anna["notes"],
                anna["stage_changes"], anna["proposals_sent"], anna["tasks_completed"],
                anna["messages_in"], anna["actions"]) == (2, 1, 2, 2, 1, 1, 1, 1, 10)


def test_team_filter(wh: Warehouse) -> None:
    result = rows(wh, period=MAY, teams=("Beta",))
    assert [r["manager"] for r in result] == ["Vira Hnatiuk", "Team median: Beta",
                                              "Company median"]


def test_configured_proposal_stage_counts_moves_into_it(wh: Warehouse) -> None:
    from salesscope import settings

    before = by_manager(rows(wh, period=MAY))["Anna Shevchuk"]["proposals_sent"]
    settings.set_value(wh, "proposal_stage:1", str(account.S2))
    anna = by_manager(rows(wh, period=MAY))["Anna Shevchuk"]
    assert anna["proposals_sent"] == 1  # 901 S1 → S2; 902 and 903 go to Proposal
    assert before == 2  # the same warehouse, run just before: the new setting is not served stale


def test_bad_grouping_names_the_choices(wh: Warehouse) -> None:
    with pytest.raises(FilterError, match="unknown grouping 'hour'; valid: manager, day"):
        rows(wh, by="hour")


def test_definitions_say_where_each_column_comes_from(wh: Warehouse) -> None:
    result = registry.run(wh, "employees", Filters(period=MAY))
    assert "deal_stage_changes" in result.definitions["stage_changes"]
    assert "owner" in result.definitions["messages_in"]
    assert "median" in result.definitions["notes"]


def test_demo_counts_match_the_call_log_and_the_stage_history(demo_wh: Warehouse) -> None:
    result = by_manager(rows(demo_wh, period=MAY))
    calls = {r["manager"]: r for r in registry.run(demo_wh, "calls", Filters(period=MAY)).rows}
    serhiy = result[people.SERHIY.name]
    assert serhiy["calls_out"] == calls[people.SERHIY.name]["outgoing"] > 0
    assert serhiy["calls_in"] == calls[people.SERHIY.name]["incoming"] > 0
    assert people.ANDRIY.name not in result and people.IHOR.name not in result
    moves = demo_wh.engine.query(
        "SELECT count(*) FROM deal_stage_changes WHERE by_user_id = 201 AND \"at\" >= "
        "TIMESTAMP '2026-04-30 21:00' AND \"at\" < TIMESTAMP '2026-05-31 21:00'")[0][0]
    assert serhiy["stage_changes"] == moves


# -- drill-down: every count opens as the event list behind it -----------------------------------


@pytest.mark.parametrize("filters", [
    {"period": MAY},  # Anna 19 actions (2 client messages credited to her), Borys 5, Vira 8
    {"period": W19, "by": "day"},  # per day, the weekend included
    {"period": MAY, "pipelines": ("Sales",)},  # her contact-only note (106) drops out of the list too
    {},  # all time: Hanna's April notes
])
def test_every_count_opens_as_exactly_that_many_events(wh: Warehouse, filters: dict[str, Any]) -> None:
    result = rows(wh, **filters)
    assert mismatches(wh, "employees", result) == []
    assert all(r["drill"] is None for r in result if r["row_kind"] != "manager")
    assert sum(r["actions"] for r in result if r["drill"]) > 0


def test_the_drill_names_the_manager_by_id_and_each_count_its_kind(wh: Warehouse) -> None:
    anna = by_manager(rows(wh, period=MAY))["Anna Shevchuk"]
    assert anna["drill"] == "events?period=2026-05&manager=1"
    proposals = activity_drill.for_column("employees", "proposals_sent", anna["drill"])
    assert proposals == "events?period=2026-05&manager=1&kind=stage_change&to_stage=proposal"
    # 902 S2 → Proposal on 4 May and 903 S1 → Proposal on 8 May
    assert [r["id"] for r in listed(wh, str(proposals))] == [903, 902]
    monday = rows(wh, period=W19, managers=("Anna",), by="day")[0]
    assert monday["drill"] == "events?from=2026-05-04&to=2026-05-04&manager=1"


def test_the_dashboard_links_each_count_to_its_event_list(wh: Warehouse) -> None:
    anna = by_manager(rows(wh, period=MAY))["Anna Shevchuk"]
    assert deal_link("employees", anna, "notes") == "/reports/events?period=2026-05&manager=1&kind=note"
    assert deal_link("employees", anna, "actions") == "/reports/events?period=2026-05&manager=1"
    median = rows(wh, period=MAY)[-1]
    assert median["row_kind"] == "company_median" and deal_link("employees", median, "notes") is None
