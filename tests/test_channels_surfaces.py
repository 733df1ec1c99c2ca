"""The channels report through its surfaces: ``salesscope report channels`` (json, options, bad
values) and the dashboard's spend-vs-revenue chart, on the hand-computed channels account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse
from salesscope.web import charts
from salesscope.web.cells import CellFormatter
from salesscope.web.i18n import Translator
from salesscope.web.tables import table_view

from fixtures.channels import account

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("channels") / "fixture.duckdb"
    with Warehouse.open(path) as wh:
        wh.replace(account.tables())
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_carries_every_column_and_the_numbers(db: Path) -> None:
    code, out, _ = run("report", "channels", "--db", str(db), "--period", "2026-05", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["report"] == "channels"
    assert [c["name"] for c in doc["columns"]][:13] == [
        "channel", "spend", "leads", "cpl", "proposals", "won", "conversion", "revenue", "cpa",
        "avg_check", "roi", "romi", "profit"]
    rows = {r["channel"]: r for r in doc["rows"]}
    assert (rows["google"]["leads"], rows["google"]["cpl"], rows["google"]["roi"]) == (3, 333.33, 2.0)
    assert rows["All"]["revenue"] == 3950 and rows["tiktok"]["cpl"] is None
    assert set(doc["definitions"]) >= {"cpl", "roi", "romi"}


def test_options_reach_the_report(db: Path) -> None:
    code, out, _ = run("report", "channels", "--db", str(db), "--period", "2026-05", "--by", "utm_campaign",
                       "--channel", "google", "--touch", "first", "--by-payment-date", "--format", "json")
    assert code == 0, out
    rows = {r["channel"]: r for r in json.loads(out)["rows"]}
    # first touch moves deal 1 to facebook: google's campaigns keep deals 2 (generic) and 3
    # (brand, won in June: no win by payment date in May)
    assert list(rows) == ["brand", "generic", "All"]
    assert (rows["brand"]["leads"], rows["brand"]["won"], rows["generic"]["leads"]) == (1, 0, 1)
    assert (rows["brand"]["spend"], rows["generic"]["spend"]) == (600, 400)


def test_a_bad_touch_is_one_line_and_exit_2(db: Path) -> None:
    code, out, err = run("report", "channels", "--db", str(db), "--touch", "middle")
    assert code == 2
    text = (out + err).strip()
    assert "middle" in text and "first" in text and "last" in text
    assert len(text.splitlines()) == 1


def test_spend_versus_revenue_chart(db: Path) -> None:
    with Warehouse.open(db) as wh:
        result = registry.run(wh, "channels", Filters(period=Period.parse("2026-05")))
    spec = registry.get("channels")
    figures = charts.generic_figures(spec, result, lambda row, column: f"{row['channel']}:{column}",
                                     Translator("en"))
    assert len(figures) == 1
    spend, revenue = figures[0]["data"]
    assert (spend["type"], spend["name"], revenue["name"]) == ("bar", "Spend", "Revenue")
    assert figures[0]["layout"]["barmode"] == "group"
    channels = ["google", "(none)", "email", "chat", "facebook", "unknown", "tiktok"]
    assert spend["x"] == revenue["x"] == channels  # no total bar
    assert spend["y"] == [1000, 0, 0, 0, 300, 0, 250]
    assert revenue["y"] == [3000, 700, 250, 0, 0, 0, 0]
    assert revenue["customdata"][0] == "google:revenue"


def test_dashboard_links_deal_counts_but_not_spend(db: Path) -> None:
    with Warehouse.open(db) as wh:
        result = registry.run(wh, "channels", Filters(period=Period.parse("2026-05")))
    view = table_view(result, Translator("en"), CellFormatter("en"))
    names = [h.name for h in view.headers]
    google = next(r for r in view.rows if r.cells[0].text == "google")
    links = {name: cell.href for name, cell in zip(names, google.cells, strict=True)}
    assert links["spend"] is None  # money paid to a platform: no deal stands behind it
    assert links["leads"] and links["leads"].startswith("/deals?")
    assert links["won"] and links["won"].startswith("/deals?")
    assert "breakdown" not in names
    assert links["channel"] == "/reports/channels?period=2026-05&by=utm_campaign&channel=google"
