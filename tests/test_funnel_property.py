"""The funnel against a plain per-deal reference, on random stage histories (hypothesis).

The reference walks each deal's history the obvious way — list the stages it visited in time
order, then ask "was it ever at this stage or later?" — so any shortcut the report takes
(materialised progress, collapsed groups, Arrow masks) must agree with it on every history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

OPEN = [(11, 10), (12, 20), (13, 30), (14, 40)]  # (stage id, sort)
WON, LOST = 15, 16
ALL_STAGES = [s for s, _ in OPEN] + [WON, LOST]
SORT = dict(OPEN)
START = dt.datetime(2026, 5, 1)

history = st.tuples(
    st.sampled_from(ALL_STAGES),                            # stage it was created in
    st.lists(st.sampled_from(ALL_STAGES), max_size=5),      # moves, in order
    st.integers(min_value=0, max_value=5000),               # amount
    st.sampled_from([1, 2]),                                # owner
    st.booleans(),                                          # deleted
)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    path: Path = tmp_path_factory.mktemp("prop") / "w.duckdb"
    with Warehouse.open(path) as warehouse:
        yield warehouse


def load(wh: Warehouse, deals: list[tuple[int, list[int], int, int, bool]]) -> None:
    deal_rows, changes = [], []
    for i, (first, moves, amount, owner, deleted) in enumerate(deals, start=1):
        stage, at = first, START + dt.timedelta(hours=i)
        for to_stage in moves:
            at += dt.timedelta(minutes=1)
            changes.append({"id": len(changes) + 1, "deal_id": i, "from_stage_id": stage,
                            "to_stage_id": to_stage, "at": at})
            stage = to_stage
        deal_rows.append({"id": i, "amount": amount, "currency": "UAH", "pipeline_id": 1,
                          "stage_id": stage, "owner_id": owner, "created_at": START + dt.timedelta(hours=i),
                          "updated_at": at, "tags": [], "deleted": deleted})
    wh.replace({
        "account": rows_to_arrow("account", [{"id": 1, "name": "P", "currency": "UAH",
                                               "timezone": "UTC", "crm": "import"}]),
        "users": rows_to_arrow("users", [{"id": 1, "name": "One", "active": True},
                                         {"id": 2, "name": "Two", "active": True}]),
        "pipelines": rows_to_arrow("pipelines", [{"id": 1, "name": "P", "sort": 1,
                                                  "is_main": True, "archived": False}]),
        "stages": rows_to_arrow("stages", [
            *({"id": s, "pipeline_id": 1, "crm_id": s, "name": f"S{s}", "sort": o, "kind": "open"}
              for s, o in OPEN),
            {"id": WON, "pipeline_id": 1, "crm_id": 142, "name": "Won", "sort": 10000, "kind": "won"},
            {"id": LOST, "pipeline_id": 1, "crm_id": 143, "name": "Lost", "sort": 10001, "kind": "lost"},
        ]),
        "deals": rows_to_arrow("deals", deal_rows),
        "deal_stage_changes": rows_to_arrow("deal_stage_changes", changes),
    })


def reference(deals: list[tuple[int, list[int], int, int, bool]]) -> list[tuple[int, int, int, int]]:
    """(reached, reached_amount, lost, lost_amount) per funnel row, the slow obvious way."""
    rows = {s: [0, 0, 0, 0] for s in [*SORT, WON]}
    for first, moves, amount, _owner, deleted in deals:
        if deleted:
            continue
        visited = [first, *moves]
        current = visited[-1]
        open_visited = [s for s in visited if s in SORT] or [OPEN[0][0]]
        furthest = max(SORT[s] for s in open_visited)
        for stage, sort in OPEN:
            if current == WON or furthest >= sort:
                rows[stage][0] += 1
                rows[stage][1] += amount
        if current == WON:
            rows[WON][0] += 1
            rows[WON][1] += amount
        if current == LOST:
            lost_at = open_visited[-1]
            rows[lost_at][2] += 1
            rows[lost_at][3] += amount
    return [tuple(v) for v in rows.values()]  # type: ignore[misc]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(history, min_size=1, max_size=25))
def test_funnel_matches_the_reference(wh: Warehouse, deals: list[tuple[int, list[int], int, int, bool]]) -> None:
    load(wh, deals)
    rows = registry.run(wh, "funnel", Filters(pipelines=("P",))).rows
    got = [(r["reached"], r["reached_amount"], r["lost"], r["lost_amount"]) for r in rows]
    assert got == reference(deals)
    reached = [r["reached"] for r in rows]
    assert reached == sorted(reached, reverse=True)  # a funnel never widens


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(history, min_size=1, max_size=25))
def test_managers_add_up_to_the_whole(wh: Warehouse, deals: list[tuple[int, list[int], int, int, bool]]) -> None:
    load(wh, deals)
    whole = registry.run(wh, "funnel", Filters(pipelines=("P",))).rows
    split = registry.run(wh, "funnel", Filters(pipelines=("P",), by="manager")).rows
    managers = [r for r in split if r["row_kind"] == "manager"]
    for i, row in enumerate(whole):
        mine = [m for m in managers if m["stage_order"] == i + 1]
        assert sum(m["reached"] for m in mine) == row["reached"]
        assert sum(m["lost_amount"] for m in mine) == row["lost_amount"]
