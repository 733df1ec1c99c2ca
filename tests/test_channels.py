"""The channels report against the hand-computed account in ``fixtures/channels/account.py``, on
DuckDB and PostgreSQL: every column, (none) apart from unknown, first and last touch, payment date,
margin and ROMI, division by zero, a channel with spend only, totals equal to the funnel's, the
drill to the deal list and the breakdown from channel to campaigns to ads."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest

from salesscope import settings
from salesscope.reports import drill, registry
from salesscope.reports.deal_list import deal_list
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.attribution import channel_of, level_name
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.channels import account
from fixtures.summary.engines import ENGINES, shared_warehouse
from fixtures.summary.expected import check_rows, read

MAY = Period.parse("2026-05")


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, account.tables)


def run(wh: Warehouse, by: str | None = None, **options: object) -> list[dict[str, object]]:
    filters = Filters(period=MAY, by=by).with_options(**options) if options else Filters(period=MAY, by=by)
    return registry.run(wh, "channels", filters).rows


def by_channel(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["channel"]: r for r in rows}


def listed(wh: Warehouse, query: str) -> list[int]:
    filters, options = drill.parse(query)
    return sorted(r["deal_id"] for r in deal_list(wh, filters, options).rows)


def test_every_column_by_channel(wh: Warehouse) -> None:
    result = registry.run(wh, "channels", Filters(period=MAY))
    check_rows(result.rows, read("channels", "expected_may.csv"))
    assert result.column("spend").unit == "UAH" and result.column("roi").type == "fraction"
    assert all(result.definitions[c.name] for c in result.columns)


def test_none_and_unknown_are_apart(wh: Warehouse) -> None:
    rows = by_channel(run(wh))
    assert rows["(none)"]["leads"] == 2 and rows["unknown"]["leads"] == 1
    assert "" not in rows and "  " not in rows


def test_by_payment_date(wh: Warehouse) -> None:
    check_rows(run(wh, by_payment_date=True), read("channels", "expected_may_paid.csv"))


def test_first_touch(wh: Warehouse) -> None:
    check_rows(run(wh, touch="first"), read("channels", "expected_may_first.csv"))


def test_by_campaign_and_within_a_channel(wh: Warehouse) -> None:
    check_rows(run(wh, by="utm_campaign"), read("channels", "expected_may_campaigns.csv"))
    google = by_channel(run(wh, by="utm_campaign", channel="google"))
    assert list(google) == ["brand", "generic", "All"]
    assert (google["brand"]["spend"], google["generic"]["spend"], google["All"]["leads"]) == (600, 400, 3)
    ads = by_channel(run(wh, by="ad", channel="google", utm_campaign="brand"))
    assert list(ads) == ["ad_a", "All"]
    assert (ads["ad_a"]["leads"], ads["ad_a"]["won"], ads["ad_a"]["spend"]) == (2, 2, 600)


def test_breakdown_leads_from_channel_to_campaigns_to_ads(wh: Warehouse) -> None:
    google = by_channel(run(wh))["google"]
    pairs = dict(parse_qsl(str(google["breakdown"])))
    assert pairs == {"period": "2026-05", "by": "utm_campaign", "channel": "google"}
    brand = by_channel(run(wh, by=pairs["by"], channel=pairs["channel"]))["brand"]
    pairs = dict(parse_qsl(str(brand["breakdown"])))
    assert pairs == {"period": "2026-05", "by": "utm_content", "channel": "google", "utm_campaign": "brand"}
    ad = by_channel(run(wh, by=pairs["by"], channel="google", utm_campaign="brand"))["ad_a"]
    assert ad["breakdown"] is None


def test_margin_gives_profit_and_romi(make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    settings.set_value(wh, "margin_percent", "40")
    rows = by_channel(run(wh))
    # google: 3000 x 0.4 - 1000 = 200; facebook 0 - 300; (none) 700 x 0.4 = 280, no spend: no ROMI
    assert (rows["google"]["profit"], rows["google"]["romi"]) == (200, pytest.approx(0.2))
    assert (rows["facebook"]["profit"], rows["facebook"]["romi"]) == (-300, pytest.approx(-1.0))
    assert (rows["(none)"]["profit"], rows["(none)"]["romi"]) == (280, None)
    assert (rows["email"]["profit"], rows["tiktok"]["romi"]) == (100, pytest.approx(-1.0))
    assert (rows["All"]["profit"], rows["All"]["romi"]) == (30, pytest.approx(30 / 1550))
    assert rows["google"]["roi"] == pytest.approx(2.0)  # ROI stays on revenue


@pytest.mark.parametrize("value", ["101", "-1", "x"])
def test_margin_outside_0_to_100_is_refused(value: str, make_warehouse: WarehouseFactory) -> None:
    wh = make_warehouse(account.tables())
    with pytest.raises(settings.SettingError, match=f"margin_percent.*{value}"):
        settings.set_value(wh, "margin_percent", value)


def test_spend_is_not_split_by_manager_team_pipeline_or_tag(wh: Warehouse) -> None:
    for filters in (Filters(period=MAY, managers=("Anna",)), Filters(period=MAY, teams=("Alpha",)),
                    Filters(period=MAY, pipelines=("Sales",)), Filters(period=MAY, tags=("vip",))):
        result = registry.run(wh, "channels", filters)
        assert "not per pipeline, manager" in result.filters["note"]
        for row in result.rows:
            assert [row[c] for c in ("spend", "cpl", "cpa", "roi", "romi", "profit")] == [None] * 6
    anna = by_channel(registry.run(wh, "channels", Filters(period=MAY, managers=("Anna",))).rows)
    assert list(anna) == ["google", "All"]
    assert (anna["google"]["leads"], anna["google"]["won"], anna["google"]["revenue"]) == (3, 2, 3000)
    assert "note" not in registry.run(wh, "channels", Filters(period=MAY)).filters


def test_source_filter_limits_deals_and_spend(wh: Warehouse) -> None:
    rows = by_channel(registry.run(wh, "channels", Filters(period=MAY, sources=("google",))).rows)
    assert list(rows) == ["google", "All"]
    assert (rows["All"]["spend"], rows["All"]["leads"]) == (1000, 3)


@pytest.mark.parametrize("filters", [
    Filters(period=MAY), Filters(period=MAY, managers=("Boris",)),
    Filters(period=MAY, pipelines=("Sales",)), Filters(period=Period.parse("2026-04")), Filters(),
])
@pytest.mark.parametrize("by", [None, "utm_campaign", "source"])
def test_total_leads_equal_the_funnel(wh: Warehouse, filters: Filters, by: str | None) -> None:
    funnel = registry.run(wh, "funnel", filters).rows
    funnel_leads = sum(r["reached"] for r in funnel if r["stage_order"] == 1)
    channels = registry.run(wh, "channels", Filters(**{**filters.__dict__, "by": by})).rows
    assert channels[-1]["row_kind"] == "total"
    assert channels[-1]["leads"] == sum(r["leads"] for r in channels[:-1]) == funnel_leads


def test_drill_lists_the_deals_behind_each_number(wh: Warehouse) -> None:
    rows = by_channel(run(wh))
    google = str(rows["google"]["drill"])
    assert listed(wh, google) == [1, 3]
    assert listed(wh, drill.for_column("channels", "leads", google)) == [1, 2, 3]
    assert listed(wh, drill.for_column("channels", "proposals", google)) == [1, 2, 3]
    assert listed(wh, drill.for_column("channels", "leads", str(rows["(none)"]["drill"]))) == [5, 9]
    assert listed(wh, drill.for_column("channels", "leads", str(rows["unknown"]["drill"]))) == [6]
    assert listed(wh, drill.for_column("channels", "leads", str(rows["All"]["drill"]))) == [
        1, 2, 3, 4, 5, 6, 8, 9, 11]
    assert rows["tiktok"]["drill"] is None  # spend only: no deals behind it
    paid = by_channel(run(wh, by_payment_date=True))
    assert listed(wh, str(paid["facebook"]["drill"])) == [7]
    assert listed(wh, drill.for_column("channels", "leads", str(paid["facebook"]["drill"]))) == [8]
    first = by_channel(run(wh, touch="first"))
    assert listed(wh, drill.for_column("channels", "leads", str(first["facebook"]["drill"]))) == [1, 8]
    brand = by_channel(run(wh, by="utm_campaign", channel="google"))["brand"]
    assert listed(wh, drill.for_column("channels", "leads", str(brand["drill"]))) == [1, 3]


def test_bad_options_are_named(wh: Warehouse) -> None:
    with pytest.raises(FilterError, match="touch"):
        run(wh, touch="middle")
    with pytest.raises(FilterError, match="grouping"):
        registry.run(wh, "channels", Filters(period=MAY, by="manager"))
    with pytest.raises(ValueError, match="utm_term"):
        level_name("utm_term")
    with pytest.raises(ValueError, match="middle"):
        channel_of(wh.table("deals"), "channel", "middle")


def test_the_deal_list_channel_filter_reads_channels_as_attribution_does(wh: Warehouse) -> None:
    # `channel=` (used by potential --by channel and metrics' leads per channel) must agree with the
    # report on blank UTM values and "(none)": every channel's leads are exactly its listed deals.
    from salesscope.reports.deal_list import DealListOptions

    for row in run(wh):
        if row["row_kind"] != "channel" or not row["leads"]:
            continue
        options = DealListOptions(channel=str(row["channel"]), status=None, dated="created")
        assert len(deal_list(wh, Filters(period=MAY), options).rows) == row["leads"], row["channel"]
