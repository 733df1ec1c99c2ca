"""``deals``, ``goals`` and ``settings`` beside a running ``salesscope serve`` (design A).

The server holds the DuckDB file, so no other process may open it; these commands go through the
server's control API and behave exactly as they do without a server: the same output, the same
one-line errors with exit 2, nothing stored on bad input — never a lock error. Writes are made
under the server's writer lock, so its pages show them at once, and they are in the file after
the server stops.

Demo numbers (seed case, May 2026, pipeline Sales): Serhiy's cohort reaches "Commercial proposal
sent" 90 times, so the deal list behind that number has 90 deals. Goals are set for 2026-07, a
month the demo has none for, so the goals listed there are exactly the ones set here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from salesscope.auth.users import UserStore
from salesscope.web import serverfile
from web.web_support import Server, add_users, cli, copy_demo, start_server

DEALS = ("deals", "--period", "2026-05", "--manager", "Serhiy", "--pipeline", "Sales",
         "--stage", "Commercial proposal sent", "--reached")
DEALS_URL = ("/deals.json?period=2026-05&manager=Serhiy&pipeline=Sales"
             "&stage=Commercial+proposal+sent&reached=1")


@pytest.fixture(scope="module")
def writable(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on its own demo copy (these tests write to it)."""
    home = tmp_path_factory.mktemp("writes")
    copy_demo(demo_file, home)
    add_users(UserStore(home / "auth.sqlite3"))
    running = start_server(home, "--sync-every", "off")
    try:
        yield running
    finally:
        running.stop()


def ok(*args: str, home: Path) -> str:
    done = cli(*args, home=home)
    assert done.returncode == 0, done.stderr
    assert "lock" not in done.stderr.lower()
    return done.stdout + done.stderr


def refused(*args: str, home: Path) -> str:
    """A bad input through the server: one line on stderr, exit 2, no lock error."""
    done = cli(*args, home=home)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("salesscope: error: "), done.stderr
    assert "lock" not in done.stderr.lower()
    return lines[0]


def goals_in_july(home: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(
        ok("goals", "list", "--period", "2026-07", "--format", "json", home=home))["rows"]
    return rows


def test_deals_list_through_the_server_equals_the_page(writable: Server) -> None:
    doc = json.loads(ok(*DEALS, "--format", "json", home=writable.home))
    assert len(doc["rows"]) == 90
    page = writable.client("boss").get(DEALS_URL)
    assert page.status_code == 200
    assert json.loads(page.text)["rows"] == doc["rows"]
    message = refused("deals", "--period", "2026-05", "--manager", "Nobody", home=writable.home)
    assert "unknown manager 'Nobody'" in message


def test_goals_set_through_the_server_shows_in_list_and_pages(writable: Server) -> None:
    home = writable.home
    before = goals_in_july(home)
    out = ok("goals", "set", "--period", "2026-07", "--manager", "Serhiy", "--won-amount", "123456",
             home=home)
    assert "Goal set: manager Serhiy" in out and "2026-07, won_amount 123 456" in out
    mine = [r for r in goals_in_july(home) if r["id"] == 201 and r["metric"] == "won_amount"]
    assert [r["target"] for r in mine] == [123456.0]
    page = writable.client("boss").get("/reports/goals.json?period=2026-07&manager=Serhiy")
    plans = [r["plan"] for r in json.loads(page.text)["rows"] if r["metric"] == "won_amount"
             and r["manager_id"] == 201]
    assert 123456 in plans
    message = refused("goals", "set", "--period", "2026-07", "--manager", "Nobody", "--won-amount", "5",
                      home=home)
    assert "unknown manager 'Nobody'" in message
    assert len(goals_in_july(home)) == len(before) + 1


def test_goals_import_through_the_server_is_all_or_nothing(writable: Server, tmp_path: Path) -> None:
    home = writable.home
    good = tmp_path / "good.csv"
    good.write_text("scope,name,period,metric,target\n"
                    "manager,Mykyta,2026-07,won_count,12\n"
                    "team,Команда Олени,2026-07,won_amount,900000\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("scope,name,period,metric,target\n"
                   "manager,Olena,2026-07,won_count,7\n"
                   "manager,Olena,2026-07,won_amount,-5\n", encoding="utf-8")
    before = len(goals_in_july(home))
    assert "Imported 2 goals from" in ok("goals", "import", str(good), home=home)
    after_good = goals_in_july(home)
    assert len(after_good) == before + 2
    assert {(r["scope"], r["id"] if r["scope"] == "manager" else r["name"], r["metric"], r["target"])
            for r in after_good} >= {("manager", 202, "won_count", 12),  # Mykyta is CRM user 202
                                     ("team", "Команда Олени", "won_amount", 900000)}
    message = refused("goals", "import", str(bad), home=home)
    assert f"{bad} row 3, column target" in message and "-5" in message
    assert goals_in_july(home) == after_good  # the good row 2 of the bad file was not stored


def refresh_state(server: Server) -> dict[str, object]:
    note = serverfile.read(str(server.home / "salesscope.duckdb"), home=server.home)
    assert note is not None
    doc: dict[str, object] = httpx.get(note.control_url + "/_control/refresh", timeout=30,
                                       headers={"Authorization": f"Bearer {note.token}"}).json()
    return doc


def test_settings_through_the_server(writable: Server) -> None:
    home = writable.home
    assert writable.client("boss").get("/").status_code == 200  # the overview: recently used
    before = int(str(refresh_state(writable)["refreshed"]))
    assert "overload_limit = 45" in ok("settings", "set", "overload_limit", "45", home=home)
    deadline = time.monotonic() + 120  # after the write the server builds the overview again
    while refresh_state(writable)["busy"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert int(str(refresh_state(writable)["refreshed"])) > before
    listed = {r["name"]: r for r in json.loads(ok("settings", "list", "--format", "json",
                                                  home=home))["rows"]}
    assert listed["overload_limit"]["value"] == "45" and listed["overload_limit"]["stored"] is True
    summary = writable.client("boss").get("/reports/summary.json?period=2026-05")
    assert json.loads(summary.text)["filters"]["overload_limit"] == 45  # the server's reports see it
    message = refused("settings", "set", "overload_limit", "0", home=home)
    assert "setting overload_limit: '0' is not a positive whole number" in message
    message = refused("settings", "set", "proposal_stage:1", "10014", home=home)
    assert "unknown pipeline in 'proposal_stage:1'" in message
    listed = {r["name"]: r for r in json.loads(ok("settings", "list", "--format", "json",
                                                  home=home))["rows"]}
    assert listed["overload_limit"]["value"] == "45"


def test_writes_through_the_server_are_in_the_file_after_it_stops(
        demo_file: Path, tmp_path: Path) -> None:
    copy_demo(demo_file, tmp_path)
    running = start_server(tmp_path, "--sync-every", "off")
    try:
        ok("settings", "set", "overload_limit", "77", home=tmp_path)
        ok("goals", "set", "--period", "2026-07", "--team", "Команда Олени", "--won-count", "30",
           home=tmp_path)
    finally:
        assert running.stop() == 0
    listed = {r["name"]: r["value"] for r in json.loads(
        ok("settings", "list", "--format", "json", home=tmp_path))["rows"]}
    assert listed["overload_limit"] == "77"
    assert [(r["name"], r["metric"], r["target"]) for r in goals_in_july(tmp_path)] == [
        ("Команда Олени", "won_count", 30.0)]
