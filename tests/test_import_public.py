"""Import real public data nobody on the team wrote, and check it against the data's own counts.

The datasets live in ``../shared/data`` (see each folder's SOURCE.md) and are read in place, never
copied into the repository. Expected numbers are counted here from the raw CSV files with the
``csv`` module, independently of the importer, and tied to the figures SOURCE.md publishes.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from salesscope.cli.app import app
from salesscope.connectors.files import import_deals, import_users
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OLIST = DATA / "olist-marketing-funnel"
MAVEN = DATA / "maven-crm-sales-opportunities"
FIXTURES = Path(__file__).parent / "fixtures" / "import"

needs_olist = pytest.mark.skipif(not OLIST.is_dir(), reason=f"Olist data not found at {OLIST}")
needs_maven = pytest.mark.skipif(not MAVEN.is_dir(), reason=f"Maven data not found at {MAVEN}")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def as_strings(path: Path) -> pa.Table:
    """A CSV file with every column as text (blank = empty string), as pyarrow reads it."""
    with path.open(encoding="utf-8") as fh:
        names = next(csv.reader(fh))
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False))


# -- Olist: leads and won deals per channel ---------------------------------------------------

@pytest.fixture(scope="module")
def olist_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MQLs left-joined with the closed deals, plus a stage column, in a temporary file."""
    leads = as_strings(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    closed = as_strings(OLIST / "olist_closed_deals_dataset.csv").select(
        ["mql_id", "sr_id", "won_date", "business_segment"])
    joined = leads.join(closed, "mql_id", join_type="left outer")
    stage = pc.if_else(pc.is_null(joined["won_date"]), "MQL", "Won")
    path = tmp_path_factory.mktemp("olist") / "olist_leads_and_deals.csv"
    pacsv.write_csv(joined.append_column("stage", stage), path)
    return path


@pytest.fixture(scope="module")
def olist_counts() -> tuple[Counter[str | None], Counter[str | None]]:
    """Leads and won deals per origin, straight from the two raw files (blank origin = None)."""
    leads = read_rows(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    won_ids = {r["mql_id"] for r in read_rows(OLIST / "olist_closed_deals_dataset.csv")}
    per_origin = Counter(r["origin"] or None for r in leads)
    won = Counter(r["origin"] or None for r in leads if r["mql_id"] in won_ids)
    return per_origin, won


@needs_olist
def test_olist_leads_and_won_deals_per_origin(
    make_warehouse: WarehouseFactory, olist_file: Path,
    olist_counts: tuple[Counter[str | None], Counter[str | None]],
) -> None:
    leads, won = olist_counts
    assert (sum(leads.values()), sum(won.values())) == (8000, 842)  # SOURCE.md
    assert (leads[None], leads["unknown"]) == (60, 1099)  # two different things, per SOURCE.md
    wh = make_warehouse({})
    summary = import_deals(wh, olist_file, FIXTURES / "olist_deals.toml")
    assert (summary.rows, summary.new) == (8000, 8000)
    assert summary.blanks["source"] == 60
    assert summary.blanks["owner"] == 8000 - 842  # only closed deals have a sales representative
    assert summary.notes == {"deals closed before they were created (kept as given)": 1}

    rows = registry.run(wh, "funnel", Filters(by="source")).rows
    reached = {r["source"]: r["reached"] for r in rows if r["stage"] == "MQL"}
    won_reached = {r["source"]: r["reached"] for r in rows if r["stage"] == "Won"}
    label = {None: "(none)"}
    assert reached == {**{label.get(o, o): n for o, n in leads.items()}, "All": 8000}
    assert won_reached == {**{label.get(o, o): won[o] for o in leads}, "All": 842}

    sources = Counter(r["source"] for r in wh.rows("deals", ["source"]))
    assert sources[None] == 60 and sources["unknown"] == 1099  # blank stays NULL


# -- Maven: a manager funnel with stage dates ------------------------------------------------

@pytest.fixture(scope="module")
def maven() -> dict[str, Any]:
    """Per-agent counts from the raw sales_pipeline.csv and sales_teams.csv."""
    rows = read_rows(MAVEN / "sales_pipeline.csv")
    per_agent: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        mine = per_agent[r["sales_agent"]]
        mine["total"] += 1
        mine["engaged"] += r["engage_date"] != ""
        mine["won"] += r["deal_stage"] == "Won"
        mine["won_value"] += int(r["close_value"]) if r["deal_stage"] == "Won" else 0
        mine["lost"] += r["deal_stage"] == "Lost"
    teams = read_rows(MAVEN / "sales_teams.csv")
    return {"rows": rows, "agents": per_agent,
            "team_of": {t["sales_agent"]: t["manager"] for t in teams}}


@needs_maven
def test_maven_funnel_per_agent_equals_the_raw_counts(
    make_warehouse: WarehouseFactory, maven: dict[str, Any]
) -> None:
    wh = make_warehouse({})
    import_deals(wh, MAVEN / "sales_pipeline.csv", FIXTURES / "maven_deals.toml")
    users = import_users(wh, MAVEN / "sales_teams.csv", FIXTURES / "maven_users.toml")
    assert (users.rows, users.new, users.updated) == (35, 5, 30)  # 5 agents have no deals
    assert users.created["teams"] == 6

    rows = registry.run(wh, "funnel", Filters(by="manager")).rows
    agents: dict[str, Counter[str]] = maven["agents"]
    mine = [r for r in rows if r["row_kind"] == "manager"]
    assert {r["manager"] for r in mine} == set(agents)  # 30 agents with opportunities
    for r in mine:
        want = agents[r["manager"]]
        assert r["team"] == maven["team_of"][r["manager"]]
        got = (r["reached"], r["lost"], r["reached_amount"])
        expected = {"Prospecting": (want["total"], 0, want["won_value"]),
                    "Engaging": (want["engaged"], want["lost"], want["won_value"]),
                    "Won": (want["won"], 0, want["won_value"])}[r["stage"]]
        assert got == expected, (r["manager"], r["stage"])


def _cli(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return dict(json.loads(result.stdout)) if "--format" in args else {}


@needs_maven
def test_maven_through_the_cli(tmp_path: Path, maven: dict[str, Any]) -> None:
    """`salesscope import users`, `import deals`, then `report funnel`, as a user would."""
    db = str(tmp_path / "maven.duckdb")
    _cli("import", "users", str(MAVEN / "sales_teams.csv"), "--mapping",
         str(FIXTURES / "maven_users.toml"), "--db", db)
    _cli("import", "deals", str(MAVEN / "sales_pipeline.csv"), "--mapping",
         str(FIXTURES / "maven_deals.toml"), "--db", db, "--account-name", "MavenTech")
    raw: list[dict[str, str]] = maven["rows"]
    stages = Counter(r["deal_stage"] for r in raw)
    assert stages == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}  # SOURCE.md
    won_value = sum(int(r["close_value"]) for r in raw if r["deal_stage"] == "Won")
    assert won_value == 10_005_534  # SOURCE.md

    doc = _cli("report", "funnel", "--db", db, "--format", "json")
    by_stage = {r["stage"]: r for r in doc["rows"]}
    assert [r["stage"] for r in doc["rows"]] == ["Prospecting", "Engaging", "Won"]
    assert by_stage["Prospecting"]["reached"] == len(raw)
    assert by_stage["Engaging"]["reached"] == sum(1 for r in raw if r["engage_date"])
    assert (by_stage["Won"]["reached"], by_stage["Won"]["reached_amount"]) == (4238, won_value)
    assert (by_stage["Prospecting"]["lost"], by_stage["Engaging"]["lost"]) == (0, 2473)
    assert by_stage["Engaging"]["lost_amount"] == 0  # Maven's lost deals have close_value 0

    # A month is the account's month (America/Chicago): the deals engaged in June 2017.
    june = _cli("report", "funnel", "--db", db, "--period", "2017-06", "--format", "json")
    assert june["rows"][0]["reached"] == sum(1 for r in raw if r["engage_date"].startswith("2017-06"))

    team = "Dustin Brinkmann"
    members = {a for a, m in maven["team_of"].items() if m == team}
    mine = _cli("report", "funnel", "--db", db, "--team", team, "--format", "json")
    assert mine["rows"][0]["reached"] == sum(1 for r in raw if r["sales_agent"] in members)
    assert mine["rows"][-1]["reached"] == sum(
        1 for r in raw if r["sales_agent"] in members and r["deal_stage"] == "Won")

    with Warehouse.open(db, read_only=True) as wh:
        account = wh.rows("account")[0]
        assert (account["name"], account["currency"], account["timezone"], account["crm"]) == (
            "MavenTech", "USD", "America/Chicago", "import")
        assert len(wh.rows("users")) == 35
        contacts = wh.rows("contacts")
        assert len(contacts) == len({r["account"] for r in raw if r["account"]})
        assert all(c["is_company"] for c in contacts)
        blank_accounts = sum(1 for r in raw if not r["account"])
        assert blank_accounts == 1425  # SOURCE.md
        assert sum(1 for d in wh.rows("deals", ["contact_id"]) if d["contact_id"] is None) == 1425
