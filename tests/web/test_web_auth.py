"""Login, sessions, CSRF, rate limiting, language, admin pages and the ``users`` commands."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesscope.auth.cookies import CSRF_COOKIE, SESSION_COOKIE
from salesscope.auth.ratelimit import LoginLimiter
from salesscope.auth.users import UserError, UserStore
from salesscope.cli.app import app as cli_app
from salesscope.warehouse.store import Warehouse
from salesscope.web.app import create_app
from web.inprocess import TestClient
from web.web_support import PASSWORD, WebApp, csrf_of, login

runner = CliRunner()


def test_login_sets_a_signed_httponly_lax_session_cookie(web: WebApp) -> None:
    client = web.anonymous()
    response = login(client, "boss")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    assert client.get("/").status_code == 200


def test_cookies_are_secure_over_https(web: WebApp) -> None:
    client = TestClient(web.app, base_url="https://testserver", follow_redirects=False)  # type: ignore[arg-type]
    response = login(client, "boss")
    assert all("Secure" in c for c in response.headers.get_list("set-cookie"))


def test_wrong_password_and_unknown_user_are_refused_alike(web: WebApp) -> None:
    client = web.anonymous()
    wrong = login(client, "boss", "not the password")
    nobody = login(client, "nobody", "not the password")
    assert wrong.status_code == nobody.status_code == 401
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
    assert client.get("/").status_code == 303


@pytest.mark.parametrize("token", [None, "forged", "stale"])
def test_posts_without_the_browsers_csrf_token_are_refused(web: WebApp, token: str | None) -> None:
    client = web.anonymous()
    page = client.get("/login")
    data = {"username": "boss", "password": PASSWORD}
    if token == "forged":
        data["csrf_token"] = "x" + csrf_of(page.text)
    elif token == "stale":
        other = web.anonymous()
        data["csrf_token"] = csrf_of(other.get("/login").text)  # another browser's token
    response = client.post("/login", data=data)
    assert response.status_code == 403
    assert client.get("/").status_code == 303


def test_logout_needs_csrf_and_ends_the_session(web: WebApp) -> None:
    client = web.anonymous()
    login(client, "serhiy")
    assert client.post("/logout").status_code == 403
    stolen = client.cookies.get(SESSION_COOKIE)
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    replay = web.anonymous()
    replay.cookies.set(SESSION_COOKIE, stolen or "")
    assert replay.get("/").status_code == 303


def test_a_tampered_session_cookie_is_no_session(web: WebApp) -> None:
    client = web.anonymous()
    login(client, "boss")
    client.cookies.set(SESSION_COOKIE, (client.cookies.get(SESSION_COOKIE) or "") + "x")
    assert client.get("/reports/funnel.json").status_code == 401


def test_login_attempts_are_rate_limited(demo_file: Path, tmp_path: Path) -> None:
    from web.web_support import copy_demo

    with Warehouse.open(copy_demo(demo_file, tmp_path)) as wh:
        store = UserStore(tmp_path / "auth.sqlite3")
        store.add("boss", "head", PASSWORD)
        client = TestClient(create_app(wh, store, limiter=LoginLimiter(per_name=3)),
                            follow_redirects=False)
        for _ in range(3):
            assert login(client, "boss", "guess").status_code == 401
        limited = login(client, "boss")  # even the right password waits now
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert client.get("/").status_code == 303


def test_next_never_leaves_the_site(web: WebApp) -> None:
    client = web.anonymous()
    page = client.get("/login?next=https://evil.example/")
    assert 'name="next" value="/"' in page.text
    response = client.post("/login", data={"username": "boss", "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text), "next": "//evil.example"})
    assert response.headers["location"] == "/"


def test_language_switch_is_remembered_per_user(web: WebApp) -> None:
    client = web.anonymous()
    login(client, "olena")
    page = client.get("/reports/funnel")
    assert client.post("/language", data={"locale": "en", "next": "/reports/funnel",
                                          "csrf_token": csrf_of(page.text)}).status_code == 303
    english = client.get("/reports/funnel?period=2026-05")
    assert '<html lang="en">' in english.text and "Sales analysis: stage funnel" in english.text
    assert "Data as of" in english.text
    again = web.anonymous()  # a new browser: the user's choice comes with the login
    again.headers["accept-language"] = "uk-UA,uk;q=0.9"
    login(again, "olena")
    assert '<html lang="en">' in again.get("/").text
    page = client.get("/")
    client.post("/language", data={"locale": "uk", "next": "/", "csrf_token": csrf_of(page.text)})
    ukrainian = client.get("/reports/funnel?period=2026-05")
    assert '<html lang="uk">' in ukrainian.text and "Аналіз продажів" in ukrainian.text
    assert "Дані станом на" in ukrainian.text and "черв." in ukrainian.text


def test_babel_formats_money_and_percent_per_locale(web: WebApp) -> None:
    client = web.clients["boss"]
    page = client.get("/reports/funnel?period=2026-05&pipeline=Sales&manager=Serhiy")
    text = page.text
    if '<html lang="uk">' in text:
        assert "15 000 ₴" in text.replace("\xa0", " ") and "45,0%" in text
    else:
        assert "UAH15,000" in text.replace("\xa0", "") and "45.0%" in text


def test_admin_adds_and_removes_a_user_and_sets_a_setting(web: WebApp) -> None:
    admin = web.clients["root"]
    token = csrf_of(admin.get("/admin/users").text)
    added = admin.post("/admin/users", data={"csrf_token": token, "action": "add", "name": "daria",
                                             "role": "manager", "manager": "Daria", "password": PASSWORD})
    assert added.status_code == 303
    assert login(web.anonymous(), "daria").status_code == 303
    bad = admin.post("/admin/users", data={"csrf_token": token, "action": "add", "name": "x",
                                           "role": "boss", "password": PASSWORD})
    assert bad.status_code == 400 and "unknown role" in bad.text
    removed = admin.post("/admin/users", data={"csrf_token": token, "action": "remove", "name": "daria"})
    assert removed.status_code == 303 and web.users.get("daria") is None

    before = admin.get("/reports/summary.json?period=2026-05").json()
    token = csrf_of(admin.get("/admin/settings").text)
    assert admin.post("/admin/settings", data={"csrf_token": token, "name": "overload_limit",
                                               "value": "abc"}).status_code == 400
    try:
        assert admin.post("/admin/settings", data={"csrf_token": token, "name": "overload_limit",
                                                   "value": "1000"}).status_code == 303
        after = admin.get("/reports/summary.json?period=2026-05").json()
        assert any(r["overloaded"] for r in before["rows"])
        assert not any(r["overloaded"] for r in after["rows"])
    finally:
        admin.post("/admin/settings", data={"csrf_token": token, "name": "overload_limit", "value": "60"})
    head = web.clients["boss"]
    assert head.post("/admin/users", data={"csrf_token": csrf_of(head.get("/").text), "action": "remove",
                                           "name": "root"}).status_code == 403


def test_user_store_keeps_argon2_hashes_only(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "auth.sqlite3")
    store.add("ann", "teamlead", PASSWORD, team="Команда Олени")
    stored = sqlite3.connect(tmp_path / "auth.sqlite3").execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert oct((tmp_path / "auth.sqlite3").stat().st_mode)[-3:] == "600"
    assert store.authenticate("ann", PASSWORD) is not None
    assert store.authenticate("ann", "wrong password") is None
    with pytest.raises(UserError, match="needs --manager"):
        store.add("bob", "manager", PASSWORD)
    with pytest.raises(UserError, match="at least 8"):
        store.add("bob", "head", "short")
    with pytest.raises(UserError, match="already exists"):
        store.add("ann", "head", PASSWORD)


def test_password_change_ends_every_session(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "auth.sqlite3")
    store.add("ann", "head", PASSWORD)
    session = store.open_session("ann")
    assert store.session_user(session) is not None
    store.set_password("ann", "another long password")
    assert store.session_user(session) is None


def test_users_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_file: Path) -> None:
    from web.web_support import copy_demo

    copy_demo(demo_file, tmp_path)
    monkeypatch.setenv("SALESSCOPE_HOME", str(tmp_path))
    monkeypatch.delenv("SALESSCOPE_DB", raising=False)
    added = runner.invoke(cli_app, ["users", "add", "ann", "--role", "manager", "--manager", "serhiy",
                                    "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.stderr
    unknown = runner.invoke(cli_app, ["users", "add", "bob", "--role", "manager", "--manager", "Nobody",
                                      "--password-stdin"], input=PASSWORD + "\n")
    assert unknown.exit_code == 2 and "unknown manager 'Nobody'; valid: Andriy Boyko" in unknown.stderr
    team = runner.invoke(cli_app, ["users", "add", "bob", "--role", "teamlead", "--team", "Nobody's",
                                   "--password-stdin"], input=PASSWORD + "\n")
    assert team.exit_code == 2 and "Команда Олени" in team.stderr
    role = runner.invoke(cli_app, ["users", "add", "bob", "--role", "king", "--password-stdin"],
                         input=PASSWORD + "\n")
    assert role.exit_code == 2 and "valid: admin, head, teamlead, manager" in role.stderr
    listed = runner.invoke(cli_app, ["users", "list"])
    assert "ann" in listed.stdout and "serhiy" in listed.stdout and "$argon2" not in listed.stdout
    assert runner.invoke(cli_app, ["users", "passwd", "ann", "--password-stdin"],
                         input="a brand new password\n").exit_code == 0
    assert UserStore(tmp_path / "auth.sqlite3").authenticate("ann", "a brand new password")
    assert runner.invoke(cli_app, ["users", "remove", "ann"]).exit_code == 0
    gone = runner.invoke(cli_app, ["users", "remove", "ann"])
    assert gone.exit_code == 2 and "unknown user 'ann'" in gone.stderr


def test_an_empty_warehouse_shows_how_to_load_data(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "empty.duckdb") as wh:
        store = UserStore(tmp_path / "auth.sqlite3")
        store.add("boss", "head", PASSWORD)
        client = TestClient(create_app(wh, store), follow_redirects=False)
        login(client, "boss")
        for path in ("/", "/reports/funnel", "/deals"):
            page = client.get(path)
            assert page.status_code == 200
            assert "salesscope connect kommo" in page.text and "salesscope import deals" in page.text
        data = client.get("/reports/funnel.json")
        assert data.status_code == 200 and data.json()["rows"] == []


def test_csrf_cookie_is_set_once_and_reused(web: WebApp) -> None:
    client = web.anonymous()
    first = client.get("/login")
    assert CSRF_COOKIE in first.headers.get("set-cookie", "")
    second = client.get("/login")
    assert "set-cookie" not in second.headers
    assert re.search(r'name="csrf_token" value="([^"]+)"', second.text)
