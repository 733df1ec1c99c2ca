"""Fixtures of the dashboard tests: the demo account (built once per session), an in-process
app with a logged-in client per role, and a real ``salesscope serve`` process.

The demo is built once (today = 2026-06-15, seed 7) and copied per module, so each module owns
its warehouse file (a server holds its file exclusively) without paying for another build.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from salesscope.auth.users import UserStore
from salesscope.demo import build_demo
from salesscope.warehouse.store import Warehouse
from salesscope.web.app import create_app
from web.inprocess import TestClient
from web.web_support import TODAY, USERS, Server, WebApp, add_users, copy_demo, login, start_server


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "salesscope.duckdb"
    with Warehouse.open(path) as wh:
        build_demo(wh, today=TODAY)
    return path


@pytest.fixture(scope="module")
def web(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    folder = tmp_path_factory.mktemp("web")
    wh = Warehouse.open(copy_demo(demo_file, folder))
    store = UserStore(folder / "auth.sqlite3")
    add_users(store)
    app = create_app(wh, store)
    clients = {}
    for name in USERS:
        client = TestClient(app, follow_redirects=False)
        assert login(client, name).status_code == 303
        clients[name] = client
    try:
        yield WebApp(wh, store, app, clients)
    finally:
        wh.close()


@pytest.fixture(scope="session")
def server(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``salesscope serve`` on a demo copy in its own SALESSCOPE_HOME, with every role's user
    (one process for the session: the serve and browser tests only read through it)."""
    home = tmp_path_factory.mktemp("home")
    copy_demo(demo_file, home)
    add_users(UserStore(home / "auth.sqlite3"))
    running = start_server(home)
    try:
        yield running
    finally:
        running.stop()
