"""``salesscope serve`` as a real process: pages over real HTTP, and the CLI working beside it.

While the server holds the DuckDB file (no other process may open it), ``salesscope report``
asks the server through its local control API and prints exactly what a local run prints;
commands that need the file itself say which server holds it — never a DuckDB lock error.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from salesscope.web import serverfile
from web.web_support import Server, cli, start_server

FUNNEL = ("report", "funnel", "--period", "2026-05", "--manager", "Serhiy", "--pipeline", "Sales")
FUNNEL_URL = "/reports/funnel.json?period=2026-05&manager=Serhiy&pipeline=Sales"


def without_generated_at(text: str) -> dict[str, object]:
    doc = dict(json.loads(text))
    doc.pop("generated_at")
    return doc


def test_report_json_through_the_server_equals_the_page_twin(server: Server) -> None:
    done = cli(*FUNNEL, "--format", "json", home=server.home)
    assert done.returncode == 0, done.stderr
    page = server.client("boss").get(FUNNEL_URL)
    assert page.status_code == 200
    assert without_generated_at(page.text) == without_generated_at(done.stdout)
    rows = {r["stage"]: r for r in json.loads(done.stdout)["rows"]}
    assert rows["Commercial proposal sent"]["reached"] == 90


def test_table_and_xlsx_work_through_the_server(server: Server, tmp_path: Path) -> None:
    table = cli(*FUNNEL, home=server.home)
    assert table.returncode == 0 and "Commercial proposal sent" in table.stdout
    target = tmp_path / "funnel.xlsx"
    xlsx = cli(*FUNNEL, "--format", "xlsx", "--output", str(target), home=server.home)
    assert xlsx.returncode == 0 and target.stat().st_size > 0


def test_a_bad_filter_through_the_server_is_one_line_and_exit_2(server: Server) -> None:
    done = cli("report", "funnel", "--period", "2026-13", home=server.home)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("salesscope: error: unknown period '2026-13'; valid:")


def test_commands_needing_the_file_name_the_server_not_a_lock(server: Server) -> None:
    for args in (("demo", "--no-serve", "--today", "2026-06-15"), ("backup", str(server.home / "bk"))):
        done = cli(*args, home=server.home)
        assert done.returncode == 1
        assert "held by `salesscope serve`" in done.stderr and "pid" in done.stderr
        assert "lock" not in done.stderr.lower()


def test_users_add_checks_the_manager_through_the_server(server: Server) -> None:
    done = cli("users", "add", "mykyta", "--role", "manager", "--manager", "Mykyta", "--password-stdin",
               home=server.home, stdin="a long password\n")
    assert done.returncode == 0, done.stderr
    wrong = cli("users", "add", "nobody", "--role", "manager", "--manager", "Nobody", "--password-stdin",
                home=server.home, stdin="a long password\n")
    assert wrong.returncode == 2 and "unknown manager 'Nobody'" in wrong.stderr


def test_the_control_api_answers_only_with_the_token(server: Server) -> None:
    note = serverfile.read(str(server.home / "salesscope.duckdb"), home=server.home)
    assert note is not None and note.control_url.startswith("http://127.0.0.1:")
    assert (serverfile.note_path(note.target, server.home).stat().st_mode & 0o777) == 0o600
    assert httpx.get(note.control_url + "/_control/status").status_code == 403
    bad = httpx.get(note.control_url + "/_control/status", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 403
    good = httpx.get(note.control_url + "/_control/status",
                     headers={"Authorization": f"Bearer {note.token}"})
    assert good.status_code == 200 and good.json()["tables"]["deals"] > 20_000


def test_a_stopped_server_leaves_no_note_and_the_cli_opens_the_file_again(
        demo_file: Path, tmp_path: Path) -> None:
    from web.web_support import copy_demo

    copy_demo(demo_file, tmp_path)
    running = start_server(tmp_path, "--sync-every", "off")
    note = serverfile.note_path(str(tmp_path / "salesscope.duckdb"), tmp_path)
    assert note.exists()
    assert running.stop() == 0
    assert not note.exists()
    done = cli(*FUNNEL, "--format", "json", home=tmp_path)
    assert done.returncode == 0, done.stderr


def test_status_works_through_the_server(server: Server) -> None:
    done = cli("status", "--format", "json", home=server.home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tables"]["deals"] > 20_000
