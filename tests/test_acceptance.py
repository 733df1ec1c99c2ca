"""The issue's acceptance run, as a user types it: build the demo, then read the seed's funnels.

`salesscope demo --no-serve --today 2026-06-15` then `salesscope report funnel --period 2026-05
--manager Serhiy --pipeline Sales --format json` shows 200 / 90 / 15 and 15,000 won; Mykyta and
Olena show the seed's percentages; the company's lead-to-payment conversion is 21%.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(sys.executable).parent / "salesscope"
PROPOSAL = "Commercial proposal sent"


def salesscope(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESSCOPE_HOME": str(home)}
    env.pop("SALESSCOPE_DB", None)
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          env=env, check=False)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh SALESSCOPE_HOME holding the demo built exactly as the README says."""
    folder = tmp_path_factory.mktemp("home")
    done = salesscope("demo", "--no-serve", "--today", "2026-06-15", home=folder)
    assert done.returncode == 0, done.stderr
    assert (folder / "salesscope.duckdb").exists()
    return folder


def funnel(home: Path, *args: str) -> dict[str, Any]:
    done = salesscope("report", "funnel", "--period", "2026-05", "--pipeline", "Sales",
                      "--format", "json", *args, home=home)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def by_stage(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["stage"]: row for row in doc["rows"]}


def test_serhiy_200_90_15_at_1000_each(home: Path) -> None:
    stages = by_stage(funnel(home, "--manager", "Serhiy"))
    assert stages["New lead"]["reached"] == 200
    assert stages[PROPOSAL]["reached"] == 90
    assert stages[PROPOSAL]["conversion_from_first"] == pytest.approx(0.45)
    won = stages["Closed - won"]
    assert (won["reached"], won["reached_amount"]) == (15, 15000)
    assert won["reached"] / stages[PROPOSAL]["reached"] == pytest.approx(0.1667, abs=1e-4)


def test_mykyta_48_percent_proposals_16_percent_paid(home: Path) -> None:
    stages = by_stage(funnel(home, "--manager", "mykyta"))
    assert stages["New lead"]["reached"] == 142
    assert round(stages[PROPOSAL]["conversion_from_first"], 2) == 0.48
    assert round(stages["Closed - won"]["conversion_from_first"], 2) == 0.16


def test_olena_79_percent_proposals_37_percent_of_them_paid(home: Path) -> None:
    stages = by_stage(funnel(home, "--manager", "Olena"))
    assert stages["New lead"]["reached"] < 142
    assert round(stages[PROPOSAL]["conversion_from_first"], 2) == 0.79
    paid_of_proposals = stages["Closed - won"]["reached"] / stages[PROPOSAL]["reached"]
    assert round(paid_of_proposals, 2) == 0.37


def test_company_average_is_21_percent_and_mykyta_reads_below_it(home: Path) -> None:
    doc = funnel(home, "--by", "manager")
    won = [r for r in doc["rows"] if r["stage"] == "Closed - won"]
    company = next(r for r in won if r["row_kind"] == "company_average")
    assert round(company["conversion_from_first"], 2) == 0.21
    mykyta = next(r for r in won if r["manager"].startswith("Mykyta"))
    assert mykyta["conversion_from_first"] < company["conversion_from_first"]
    teams = {r["manager"] for r in won if r["row_kind"] == "team_average"}
    assert len(teams) == 2


def test_ihor_is_the_one_overloaded_manager(home: Path) -> None:
    """Seed §2: the summary shows Ihor over the 60-deal limit; everyone else clears stale deals.

    Ihor closed none of his last months' stale deals (over 150 still open); the others' open deals
    are this half-month's deals in progress plus a few stale ones not yet cleared, below 60. Over
    the year's weekly history nobody but Ihor is over the limit for more than two weeks.
    """
    done = salesscope("report", "summary", "--format", "json", home=home)
    assert done.returncode == 0, done.stderr
    managers = [r for r in json.loads(done.stdout)["rows"] if r["row_kind"] == "manager"]
    assert [r["manager"] for r in managers if r["overloaded"]] == ["Ihor Kravchenko"]
    ihor = next(r for r in managers if r["manager"] == "Ihor Kravchenko")
    others = [r["open_deals"] for r in managers if r is not ihor]
    assert ihor["open_deals"] > 150 and max(others) < 60
    done = salesscope("report", "summary", "--by", "week", "--from", "2025-06-01", "--to", "2026-06-15",
                      "--format", "json", home=home)
    assert done.returncode == 0, done.stderr
    weeks_over: dict[str, int] = {}
    for week in json.loads(done.stdout)["rows"]:
        weeks_over[week["manager"]] = weeks_over.get(week["manager"], 0) + bool(week["overloaded"])
    assert weeks_over.pop("Ihor Kravchenko") > 20
    assert max(weeks_over.values()) <= 2, weeks_over


def test_demo_without_no_serve_prints_the_funnel_and_serves_with_a_one_time_admin(tmp_path: Path) -> None:
    """`salesscope demo`: builds, prints the seed month's funnel and an admin password, serves."""
    import re
    import socket
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "SALESSCOPE_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("SALESSCOPE_DB", None)
    demo = subprocess.Popen([str(SCRIPT), "demo", "--today", "2026-06-15", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        printed = ""
        deadline = time.monotonic() + 120
        while "Log in as admin with password" not in printed and time.monotonic() < deadline:
            line = demo.stdout.readline() if demo.stdout else ""
            if not line and demo.poll() is not None:
                break
            printed += line
        assert "Sales analysis: stage funnel" in printed
        assert "Serhiy Melnyk" in printed and "Company average" in printed
        password = re.search(r"Log in as admin with password (\S+)", printed)
        assert password, printed
        url = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=url, follow_redirects=False) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token
            login = client.post("/login", data={"username": "admin", "password": password.group(1),
                                                "csrf_token": token.group(1)})
            assert login.status_code == 303
            assert client.get("/reports/funnel.json?period=2026-05&manager=Serhiy").status_code == 200
    finally:
        demo.terminate()
        demo.wait(timeout=30)
    assert demo.returncode == 0
    assert password.group(1) not in (tmp_path / "auth.sqlite3").read_bytes().decode("latin-1")


def test_mykyta_loses_about_40_percent_of_his_potential_before_the_proposal(home: Path) -> None:
    """Seed §1: "40% fewer proposals than possible cost about 40% of the profit he could have made".

    The story fixes Mykyta's cohort at 142 → 68 proposals → 23 paid (16% lead-to-payment, 34%
    proposal-to-payment); the guide's "about 40%" is 1 − 48%/79% (his proposal rate against
    Olena's) = 39%. Read off `report potential`: at the first stage (the whole funnel) his revenue
    is 55-70% of what his leads would have brought at the managers' median conversion; at the
    proposal stage it is over 80% of it, so most of the money was lost before the proposal.
    """
    done = salesscope("report", "potential", "--period", "2026-05", "--pipeline", "Sales",
                      "--manager", "Mykyta", "--format", "json", home=home)
    assert done.returncode == 0, done.stderr
    rows = [r for r in json.loads(done.stdout)["rows"] if r["manager"].startswith("Mykyta")]
    stages = by_stage({"rows": rows})
    first, proposal = stages["New lead"], stages[PROPOSAL]
    assert (first["reached"], first["won"], proposal["reached"]) == (142, 23, 68)
    assert 0.55 <= first["revenue"] / first["potential"] <= 0.70
    assert proposal["revenue"] / proposal["potential"] >= 0.80
    lost_before_proposal = first["gap"] - proposal["gap"]
    assert lost_before_proposal > first["gap"] / 2 > 0
    # 142 leads are no small sample: shrinking keeps 142 / (142 + 10) of the gap.
    assert first["shrunk_gap"] == pytest.approx(first["gap"] * 142 / 152, abs=0.05)
