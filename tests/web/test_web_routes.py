"""Every page × role, in process: status codes and which rows each role may see.

The role matrix is a table of (route, user, expected status); the visible-row checks read the
JSON twins, where every row names its manager. Demo: May 2026 is the seed month; Serhiy (201) and
Mykyta (202) are in Serhiy's team, Olena (101), Oleksandr (102) and Daria (103) in Olena's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from salesscope.demo import people
from salesscope.reports import registry
from web.web_support import WebApp

SEED = "period=2026-05&pipeline=Sales"
OLENA_TEAM = {p.name for p in people.OLENA_TEAM_MEMBERS}
PROPOSAL_STAGE = 10014

# (route, user, expected status): the role matrix. Data twins of forbidden asks are 403 alike.
MATRIX: list[tuple[str, str | None, int]] = [
    # no session: pages go to the login form, data answers 401
    ("/", None, 303), ("/reports/funnel", None, 303), ("/deals", None, 303),
    ("/reports/funnel.json", None, 401), ("/reports/funnel.csv", None, 401),
    ("/deals.json", None, 401), ("/deals.csv", None, 401), ("/admin/users", None, 303),
    ("/login", None, 200), ("/healthz", None, 200),
    # everyone logged in sees the overview and the report index
    *[(path, user, 200) for path in ("/", "/reports") for user in
      ("root", "boss", "olena_tl", "serhiy", "olena")],
    # head and admin: anyone's data
    *[(f"/reports/funnel{ext}?{SEED}&manager=Olena", user, 200)
      for ext in ("", ".json", ".csv") for user in ("root", "boss")],
    # a manager: their own data, never a colleague's, on every surface
    *[(f"/reports/funnel{ext}?{SEED}&manager=Serhiy", "serhiy", 200) for ext in ("", ".json", ".csv")],
    *[(f"/reports/funnel{ext}?{SEED}&manager=Olena", "serhiy", 403) for ext in ("", ".json", ".csv")],
    *[(f"/reports/funnel{ext}?{SEED}&manager=201", "olena", 403) for ext in ("", ".json", ".csv")],
    *[(f"/reports/funnel{ext}?{SEED}&team=Команда Олени", "serhiy", 403) for ext in ("", ".json")],
    *[(f"/deals{ext}?{SEED}&manager=201", "serhiy", 200) for ext in ("", ".json", ".csv")],
    *[(f"/deals{ext}?{SEED}&manager=101", "serhiy", 403) for ext in ("", ".json", ".csv")],
    *[(f"/deals{ext}?{SEED}&manager=Mykyta", "serhiy", 403) for ext in ("", ".json", ".csv")],
    *[(f"/deals{ext}?{SEED}&team=1", "serhiy", 403) for ext in ("", ".json")],
    # a teamlead: their team's managers, not the other team's
    *[(f"/reports/funnel{ext}?{SEED}&manager=Oleksandr", "olena_tl", 200) for ext in ("", ".json")],
    *[(f"/reports/funnel{ext}?{SEED}&manager=Serhiy", "olena_tl", 403) for ext in ("", ".json", ".csv")],
    *[(f"/reports/funnel{ext}?{SEED}&team=Команда Сергія", "olena_tl", 403) for ext in ("", ".json")],
    *[(f"/deals{ext}?{SEED}&manager=201", "olena_tl", 403) for ext in ("", ".json", ".csv")],
    *[(f"/deals{ext}?{SEED}&manager=103", "olena_tl", 200) for ext in ("", ".json")],
    # admin pages: admins only
    ("/admin/users", "root", 200), ("/admin/settings", "root", 200),
    *[(path, user, 403) for path in ("/admin/users", "/admin/settings")
      for user in ("boss", "olena_tl", "serhiy")],
    # bad input is 400 naming the value; an unknown report is 404
    (f"/reports/funnel?{SEED}&period=2026-13", "boss", 400),
    ("/reports/funnel.json?period=2026-13", "boss", 400),
    ("/reports/funnel.json?colour=red", "boss", 400),
    ("/reports/funnel.json?by=week", "boss", 400),
    ("/deals.json?stage=Nowhere", "boss", 400),
    ("/reports/nope", "boss", 404), ("/reports/nope.json", "boss", 404),
]


@pytest.mark.parametrize(("path", "user", "status"), MATRIX)
def test_role_matrix(web: WebApp, path: str, user: str | None, status: int) -> None:
    client = web.anonymous() if user is None else web.clients[user]
    response = client.get(path)
    assert response.status_code == status, response.text[:300]
    if status == 303:
        assert response.headers["location"].startswith("/login?next=")
    if status in (400, 401, 403, 404) and path.split("?")[0].endswith((".json", ".csv")):
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]


def rows_of(web: WebApp, user: str, path: str) -> list[dict[str, Any]]:
    response = web.clients[user].get(path)
    assert response.status_code == 200, response.text[:300]
    rows: list[dict[str, Any]] = json.loads(response.text)["rows"]
    return rows


def managers_in(rows: list[dict[str, Any]]) -> set[str]:
    return {r["manager"] for r in rows if r.get("row_kind", "manager") == "manager" and r.get("manager")}


# (user, managers visible on the seed month's funnel by manager, average rows shown)
VISIBLE = [
    ("boss", {"Serhiy Melnyk", "Mykyta Tkachenko", "Olena Kovalenko", "Oleksandr Shevchenko"}, None),
    ("serhiy", {"Serhiy Melnyk"}, {"team_average", "company_average"}),
    ("olena", {"Olena Kovalenko"}, {"team_average", "company_average"}),
    ("olena_tl", OLENA_TEAM, {"team_average", "company_average"}),
]


@pytest.mark.parametrize(("user", "expected", "averages"), VISIBLE)
def test_visible_rows_of_the_funnel_by_manager(web: WebApp, user: str, expected: set[str],
                                               averages: set[str] | None) -> None:
    rows = rows_of(web, user, f"/reports/funnel.json?{SEED}&by=manager")
    seen = managers_in(rows)
    if user == "boss":
        assert expected <= seen
    else:
        assert seen == expected
        assert {r["row_kind"] for r in rows} - {"manager"} == averages


@pytest.mark.parametrize("user", ["serhiy", "olena_tl"])
def test_deal_lists_hold_only_visible_owners(web: WebApp, user: str) -> None:
    rows = rows_of(web, user, "/deals.json?period=2026-05")
    allowed = {"Serhiy Melnyk"} if user == "serhiy" else OLENA_TEAM
    assert rows and {r["manager"] for r in rows} <= allowed


ROLES = ["boss", "olena_tl", "serhiy"]


@pytest.mark.parametrize("name", [spec.name for spec in registry.REPORTS])
@pytest.mark.parametrize("user", ROLES)
def test_every_report_page_and_twin_answers_and_names_only_visible_people(
        web: WebApp, name: str, user: str) -> None:
    page = web.clients[user].get(f"/reports/{name}?period=2026-05")
    assert page.status_code == 200, page.text[:300]
    assert "Дані станом на" in page.text or "Data as of" in page.text
    assert 'id="sync-status"' in page.text
    rows = rows_of(web, user, f"/reports/{name}.json?period=2026-05")
    if user != "boss":
        allowed = {"Serhiy Melnyk"} if user == "serhiy" else OLENA_TEAM
        named = {r["manager"] for r in rows if r.get("manager") and r.get("manager_id") is not None}
        assert named <= allowed


def test_funnel_page_shows_serhiys_200_90_15(web: WebApp) -> None:
    page = web.clients["boss"].get(f"/reports/funnel?{SEED}&manager=Serhiy")
    assert page.status_code == 200
    text = page.text
    for number in (">200<", ">90<", ">15<"):
        assert number in text
    # the page is in Ukrainian (the default), so is the definition of every column
    assert 'data-definition="Угоди когорти, які будь-коли були на цьому етапі' in text
    assert "/deals?" in text and "reached=1" in text
    assert '"type": "funnel"' in text


def test_funnel_json_matches_the_seed(web: WebApp) -> None:
    rows = rows_of(web, "boss", f"/reports/funnel.json?{SEED}&manager=Serhiy")
    by_stage = {r["stage"]: r for r in rows}
    assert by_stage["New lead"]["reached"] == 200
    assert by_stage["Commercial proposal sent"]["reached"] == 90
    assert by_stage["Closed - won"]["reached"] == 15
    company = [r for r in rows_of(web, "boss", f"/reports/funnel.json?{SEED}&by=manager")
               if r["row_kind"] == "company_average" and r["stage"] == "Closed - won"]
    assert round(company[0]["conversion_from_first"], 2) == 0.21


def test_every_funnel_number_links_to_the_deals_it_counts(web: WebApp) -> None:
    """Follow each of Serhiy's reached and lost links: the deal list has exactly that many."""
    rows = rows_of(web, "boss", f"/reports/funnel.json?{SEED}&manager=Serhiy")
    from salesscope.web.tables import deal_link

    for row in rows:
        for column, count in (("reached", row["reached"]), ("lost", row["lost"])):
            link = deal_link("funnel", row, column)
            assert link is not None and link.startswith("/deals?")
            deals = rows_of(web, "boss", link.replace("/deals?", "/deals.json?", 1))
            assert len(deals) == count, (row["stage"], column)


def test_deal_page_counts_the_proposals(web: WebApp) -> None:
    page = web.clients["boss"].get(f"/deals?{SEED}&manager=201&stage={PROPOSAL_STAGE}&reached=1")
    assert page.status_code == 200
    assert '<span class="count">90</span>' in page.text
    assert "Commercial proposal sent" in page.text


def test_goals_page_shows_the_missed_team_plan(web: WebApp) -> None:
    rows = rows_of(web, "boss", "/reports/goals.json?period=2026-05")
    team = [r for r in rows if r["row_kind"] == "team" and r["metric"] == "won_amount"]
    assert team and team[0]["plan"] == 1_000_000 and team[0]["fact"] < 1_000_000


def test_overview_reads_today_and_this_week(web: WebApp) -> None:
    page = web.clients["boss"].get("/")
    assert page.status_code == 200
    for tile in ("tile-leads", "tile-payments", "tile-revenue", "tile-calls", "tile-proposals"):
        assert tile in page.text
    assert "Ihor Kravchenko" in page.text  # over the 60 open-deal limit
    mine = web.clients["serhiy"].get("/")
    assert "Ihor Kravchenko" not in mine.text and "Serhiy Melnyk" in mine.text


def test_definitions_travel_with_every_header(web: WebApp) -> None:
    page = web.clients["boss"].get("/reports/summary?period=2026-05")
    assert page.text.count("data-definition=") >= 10
