"""The consolidated report against hand-computed fixtures, on DuckDB and PostgreSQL, and Ihor's
overload on the demo account."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import ibis.expr.types as ir
import pytest
from typer.testing import CliRunner

from salesscope import settings
from salesscope.cli.app import app
from salesscope.demo import build_demo, people
from salesscope.reports import registry, summary_counts
from salesscope.reports.activity_cache import compiled_arrow, scope_key
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.summary import account
from fixtures.summary.engines import ENGINES, shared_warehouse
from fixtures.summary.expected import check_rows, read

MAY = Period.parse("2026-05")


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def run(wh: Warehouse, **kwargs: object) -> list[dict[str, object]]:
    limit = kwargs.pop("limit", 2)
    filters = Filters(**kwargs).with_options(limit=limit)  # type: ignore[arg-type]
    return registry.run(wh, "summary", filters).rows


def test_every_column_per_manager(wh: Warehouse) -> None:
    check_rows(run(wh, period=MAY), read("summary", "expected_may_by_manager.csv"))


def test_every_column_per_team(wh: Warehouse) -> None:
    check_rows(run(wh, period=MAY, by="team"), read("summary", "expected_may_by_team.csv"))


def test_stage_snapshot_lists_empty_stages(wh: Warehouse) -> None:
    rows = run(wh, period=MAY, by="stage")
    check_rows(rows, read("summary", "expected_stages.csv"))
    assert rows[0]["drill"] == "pipeline=1&stage=11"


def test_open_deals_at_every_week_end(wh: Warehouse) -> None:
    rows = run(wh, period=MAY, by="week")
    check_rows(rows, read("summary", "expected_may_by_week.csv"))
    assert rows[0]["drill"] == "manager=1&open_at=2026-05-03"


def test_week_ends_across_the_spring_dst_change(wh: Warehouse) -> None:
    """Kyiv moves to UTC+3 on 2026-03-29: a deal created at 23:30 that Sunday is open at the
    week end (20:30 UTC < 21:00 UTC), one created at 00:30 on Monday is not."""
    rows = run(wh, period=Period.parse("2026-03"), by="week")
    series = {}
    for r in rows:
        series.setdefault(r["manager"], []).append(r["open_deals"])
    assert [r["week_end"] for r in rows[:5]] == ["2026-03-01", "2026-03-08", "2026-03-15",
                                                  "2026-03-22", "2026-03-29"]
    assert series["Hlib Kostenko"] == [0, 0, 0, 0, 1]
    assert series["Borys Ivanenko"] == [0, 1, 1, 1, 1]
    assert series["Petro Savchuk"] == [2, 2, 2, 2, 2]
    assert series["Anna Shevchuk"] == [0, 0, 0, 0, 0]


def test_week_ends_stop_at_the_data(wh: Warehouse) -> None:
    rows = run(wh, period=Period.parse("2026-06"), by="week", managers=("Anna",))
    # June 2026: Sundays 7 and 14 have ended by 2026-06-15 12:00 Kyiv; 21 and 28 have not.
    assert [r["week_end"] for r in rows] == ["2026-06-07", "2026-06-14"]
    assert [r["open_deals"] for r in rows] == [3, 3]


def test_limit_comes_from_settings_unless_given(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    plain = registry.run(wh, "summary", Filters(period=MAY))
    assert plain.filters["overload_limit"] == 60
    assert not any(r["overloaded"] for r in plain.rows)
    assert "overload limit of 60" in plain.definitions["overloaded"]
    settings.set_value(wh, "overload_limit", "1")
    rows = registry.run(wh, "summary", Filters(period=MAY)).rows
    assert [r["manager"] for r in rows if r["overloaded"]] == ["Anna Shevchuk", "Hlib Kostenko",
                                                               "Petro Savchuk"]
    assert [r["manager"] for r in run(wh, period=MAY, limit=2) if r["overloaded"]] == ["Anna Shevchuk"]
    with pytest.raises(FilterError, match="malformed --limit '-3'"):
        run(wh, period=MAY, limit=-3)


def test_pipeline_filter_narrows_deals_not_contacts_or_tasks(wh: Warehouse) -> None:
    anna = run(wh, period=MAY, pipelines=("Sales",), managers=("Anna",))
    assert [r["manager"] for r in anna] == ["Anna Shevchuk", "Total"]
    row = anna[0]
    assert (row["deals_created"], row["open_deals"], row["open_amount"]) == (5, 2, 150)
    assert (row["won"], row["won_amount"], row["lost"]) == (3, 1900, 1)
    assert (row["contacts_created"], row["tasks_open"], row["tasks_completed"]) == (2, 2, 1)
    assert row["drill"] == "period=2026-05&pipeline=1&manager=1"


def test_team_filter_lists_its_members(wh: Warehouse) -> None:
    rows = run(wh, period=MAY, teams=("Beta",))
    assert [r["manager"] for r in rows] == ["Petro Savchuk", "Vira Hnatiuk", "Total"]
    assert rows[-1]["open_deals"] == 2


def test_all_time_counts_every_close(wh: Warehouse) -> None:
    total = run(wh)[-1]
    # every non-deleted deal created; won 2,3,7,8,12; lost 4,10,16
    assert (total["deals_created"], total["won"], total["lost"]) == (17, 5, 3)
    assert total["won_amount"] == 2800 and total["lost_amount"] == 1349


def test_definitions_say_which_period_each_column_uses(wh: Warehouse) -> None:
    defs = registry.run(wh, "summary", Filters(period=MAY)).definitions
    assert "created in the period" in defs["deals_created"]
    assert "closed (closed_at) in the period" in defs["won"]
    assert "the period does not apply" in defs["open_deals"]
    assert defs["win_rate"].startswith("Deals won / (won + lost)")  # from the metric catalogue
    assert "--by week" in registry.get("summary").summary


def test_compiled_queries_are_kept_and_give_what_ibis_gives(wh: Warehouse) -> None:
    """The summary's six-part query is compiled once per filters (on DuckDB) and its result typed
    exactly as Ibis types it; another period is another query."""
    scope, now = resolve(wh, Filters(period=MAY)), wh.data_as_of()
    built: list[object] = []

    def build() -> ir.Table:
        built.append(scope)
        return summary_counts._measures(wh, scope, now)

    key = ("test measures", scope_key(scope), now)
    first, again = compiled_arrow(wh, key, build), compiled_arrow(wh, key, build)
    order = [(c, "ascending") for c in ("owner_id", "measure", "deals")]
    assert first.sort_by(order).equals(build().to_pyarrow().sort_by(order))
    assert again.sort_by(order).equals(first.sort_by(order)) and first.num_rows > 0  # row order is free
    assert len(built) == (2 if wh.backend.name == "duckdb" else 3)  # + the one built just above
    june = resolve(wh, Filters(period=Period.parse("2026-06")))
    assert scope_key(june) != scope_key(scope)


# -- the demo account: Ihor's climb past 150 open deals, months before his collapse -----------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("summary-demo") / "demo.duckdb"
    with Warehouse.open(path) as wh:
        build_demo(wh, seed=7, today=dt.date(2026, 6, 15))
    yield path


def test_demo_ihor_climbs_past_150_before_his_collapse(demo_db: Path) -> None:
    result = CliRunner().invoke(app, [
        "report", "summary", "--db", str(demo_db), "--by", "week", "--from", "2025-10-01",
        "--to", "2026-05-31", "--manager", str(people.IHOR.id), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    weeks = json.loads(result.stdout)["rows"]
    first_over_limit = next(w["week_end"] for w in weeks if w["overloaded"])
    first_over_150 = next(w["week_end"] for w in weeks if w["open_deals"] > 150)
    print(f"\nIhor: over 60 from {first_over_limit}, over 150 from {first_over_150}")
    # His revenue falls back in March 2026 (month five) and he quits at the end of April.
    assert first_over_150 < "2026-03-01"
    assert first_over_limit < first_over_150
    assert max(w["open_deals"] for w in weeks) > 150


def test_demo_ihor_is_the_most_loaded_now(demo_db: Path) -> None:
    with Warehouse.open(demo_db, read_only=True) as wh:
        rows = registry.run(wh, "summary", Filters(period=MAY)).rows
    managers = [r for r in rows if r["row_kind"] == "manager"]
    ihor = next(r for r in managers if r["manager_id"] == people.IHOR.id)
    assert ihor["overloaded"] and ihor["open_deals"] > 150
    assert ihor["open_deals"] == max(r["open_deals"] for r in managers)
    assert ihor["won"] == 0 and ihor["deals_created"] == 0  # gone since April
    tetiana = next(r for r in managers if r["manager_id"] == people.TETIANA.id)
    assert tetiana["open_deals"] == 0 and not tetiana["overloaded"]  # listed with zeros
