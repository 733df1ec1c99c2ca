"""``salesscope serve`` and ``salesscope users add|list|remove|passwd``, and the demo's server.

``serve`` owns the warehouse's only read-write connection while it runs (design A of
``../shared/STACK.md``): it leaves a note in ``$SALESSCOPE_HOME/run`` so that ``report``,
``status`` and ``sync`` ask it through its local control API instead of opening the file.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import secrets
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from salesscope import paths
from salesscope.auth.users import ROLES, UserError, UserStore
from salesscope.cli.output import DbOption, fail
from salesscope.cli.warehouse_access import open_for_writing, server_client
from salesscope.warehouse.store import Warehouse, WarehouseError
from salesscope.web import serverfile
from salesscope.web.jobs import Job, parse_every

out = Console()
err = Console(stderr=True)
users_app = typer.Typer(help="Web users: who may log in to the dashboard and what each sees.",
                        no_args_is_help=True)

HostOption = Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``users`` group to the main command line."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")


# -- users ---------------------------------------------------------------------------------------

def _read_password(from_stdin: bool) -> str:
    """The first line of stdin (``--password-stdin``), else a hidden prompt typed twice."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _check_links(db: str | None, manager: str | None, team: str | None) -> None:
    """Check --manager/--team against the warehouse (through the server when one holds it)."""
    if not manager and not team:
        return
    known = _people(db)
    if known is None:
        err.print("note: no warehouse to check --manager/--team against yet; checked at login")
        return
    from salesscope.reports.errors import FilterError
    from salesscope.reports.filters import Person, match_manager

    if manager:
        people = {i: Person(i, name, None, None, True) for i, name in enumerate(known["managers"])}
        try:
            match_manager(manager, people)
        except FilterError as exc:
            fail(str(exc))
    if team and team.casefold() not in {t.casefold() for t in known["teams"]}:
        fail(f"unknown team {team!r}; valid: {', '.join(known['teams'])}")


def _people(db: str | None) -> dict[str, list[str]] | None:
    client = server_client(db)
    if client is not None:
        return client.people()
    target = paths.warehouse_target(db)
    if not paths.is_postgres_url(target) and not os.path.exists(target):
        return None
    from salesscope.cli.warehouse_access import open_for_reading

    with open_for_reading(db) as wh:
        catalog = wh.catalog()
        return {"managers": [str(u["name"]) for u in catalog.users],
                "teams": [str(t["name"]) for t in catalog.teams]}


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")],
    manager: Annotated[str | None, typer.Option(help="For role manager: their CRM user (name or id).")] = None,
    team: Annotated[str | None, typer.Option(help="For role teamlead: their team (name or id).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    db: DbOption = None,
) -> None:
    """Add a web user (password hashed with argon2, kept in $SALESSCOPE_HOME/auth.sqlite3)."""
    try:
        from salesscope.auth.users import check_user_fields

        check_user_fields(name, role, manager, team)
        _check_links(db, manager, team)
        UserStore().add(name, role, _read_password(password_stdin), manager, team)
    except UserError as exc:
        fail(str(exc))
    err.print(f"Added {role} {name}" + (f" (sees {manager or team})" if manager or team else ""))


@users_app.command("list")
def users_list() -> None:
    """List web users and what each sees (never their passwords)."""
    from rich.table import Table

    table = Table(title="Web users")
    for header in ("User", "Role", "Sees", "Language"):
        table.add_column(header)
    for user in UserStore().list():
        sees = user.manager or user.team or "everything"
        table.add_row(user.name, user.role, sees, user.locale or "—")
    out.print(table)


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Remove a web user; their sessions end at once."""
    try:
        UserStore().remove(name)
    except UserError as exc:
        fail(str(exc))
    err.print(f"Removed {name}")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Set a new password; the user's sessions end at once."""
    try:
        UserStore().set_password(name, _read_password(password_stdin))
    except UserError as exc:
        fail(str(exc))
    err.print(f"Password of {name} changed; their sessions have ended")


# -- serve ---------------------------------------------------------------------------------------

WEBHOOK_DRAIN_S = 5.0
"""How often the server looks for webhook notices to fetch (a stage change reaches the pages in
well under a minute); an empty inbox costs nothing."""


def connector_jobs(sync_every: float | None) -> list[Job]:
    """The connector's in-process jobs, when it offers them (``connectors.kommo.scheduled``):
    ``sync`` every ``sync_every`` seconds (or only on demand), and the webhook drain."""
    try:
        module = importlib.import_module("salesscope.connectors.kommo.scheduled")
    except ImportError:
        return []
    jobs: list[Job] = []
    sync = getattr(module, "scheduled_sync", None)
    if callable(sync):
        jobs.append(Job("sync", sync, sync_every))
    drain, inbox = getattr(module, "drain_webhooks", None), getattr(module, "INBOX", None)
    if callable(drain) and inbox is not None and hasattr(inbox, "wait"):
        jobs.append(Job("webhooks", drain, WEBHOOK_DRAIN_S, due=lambda: bool(inbox.wait(0))))
    return jobs


def connector_routers(warehouse_of: Callable[[], Warehouse]) -> list[Any]:
    """Extra routers to mount: the Kommo webhook receiver when its module is importable."""
    try:
        module = importlib.import_module("salesscope.connectors.kommo.webhooks")
    except ImportError:
        return []
    from fastapi import APIRouter

    make = getattr(module, "make_router", None)
    made = make(warehouse_of) if callable(make) else None
    return [made] if isinstance(made, APIRouter) else []


def _sockets(host: str, port: int) -> tuple[list[socket.socket], str]:
    """The listening sockets, and the loopback URL of the control API.

    When ``host`` is a specific non-loopback address, a second socket on 127.0.0.1 carries the
    control API (it answers only loopback callers).
    """
    def bind(address: str, number: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Inherited by accepted connections: without it, a keep-alive response written in two
        # parts waits for the browser's delayed ACK (~40 ms on every request after the first).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((address, number))
        sock.listen(128)
        sock.set_inheritable(True)
        return sock

    try:
        main = bind(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port", code=1)
        raise
    port = main.getsockname()[1]
    wildcard = host in ("0.0.0.0", "::", "")
    loopback = host in ("localhost",) or (not wildcard and _is_loopback(host))
    if wildcard or loopback:
        local = "[::1]" if host == "::" else "127.0.0.1"
        return [main], f"http://{local}:{port}"
    return [main, bind("127.0.0.1", port)], f"http://127.0.0.1:{port}"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    sync_every: Annotated[str, typer.Option(help="Run the connector's sync this often (90s, 10m, 1h; off).")] = "10m",
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the dashboard in a browser.")] = False,
) -> None:
    """Serve the dashboard: every report as a page, with drill-down, login and roles."""
    run_server(db, host, port, sync_every, open_browser)


def run_server(db: str | None, host: str, port: int, sync_every: str, open_browser: bool,
               banner: str = "") -> None:
    import uvicorn

    from salesscope.web.app import create_app

    target = paths.warehouse_target(db)
    try:
        every = parse_every(sync_every)
    except ValueError as exc:
        fail(str(exc))
        return
    if not paths.is_postgres_url(target) and serverfile.read(target) is not None:
        fail(f"a server already serves {target}; stop it first", code=1)
    users = UserStore()
    token = secrets.token_urlsafe(32)
    with open_for_writing(db) as wh:
        jobs = connector_jobs(every)
        app = create_app(wh, users, jobs=jobs, routers=connector_routers(lambda: wh), control_token=token)
        # Benchmarks measure the reports themselves with SALESSCOPE_RESULT_CACHE=off.
        app.state.web.runtime.cache.enabled = os.environ.get("SALESSCOPE_RESULT_CACHE") != "off"
        sockets, control_url = _sockets(host, port)
        bound = sockets[0].getsockname()[1]
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        page_url = f"http://{'[' + shown_host + ']' if ':' in shown_host else shown_host}:{bound}/"
        note = serverfile.ServerNote(os.getpid(), control_url, token, serverfile.canonical_target(target),
                                     page_url)
        serverfile.write(note)
        try:
            _announce(page_url, wh, users, any(j.name == "sync" for j in jobs), every, banner)
            if open_browser and _has_display():
                threading.Timer(1.0, webbrowser.open, args=(page_url,)).start()
            config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=True,
                                    timeout_graceful_shutdown=5)
            # uvicorn shuts down gracefully, then re-raises the signal to the handler it found:
            # make that handler end the process through our `finally` (note removed, file closed).
            signal.signal(signal.SIGTERM, _exit_quietly)
            signal.signal(signal.SIGINT, _exit_quietly)
            uvicorn.Server(config).run(sockets=sockets)
        except SystemExit:
            err.print("salesscope server stopped")
        finally:
            serverfile.remove(note.target, note.pid)


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _announce(url: str, wh: Warehouse, users: UserStore, can_sync: bool, every: float | None,
              banner: str) -> None:
    err.print(f"salesscope serves {wh.location} at [bold]{url}[/bold] (Ctrl-C to stop)")
    if banner:
        out.print(banner, markup=False, highlight=False)
    if not users.list():
        err.print("No web users yet: salesscope users add NAME --role admin --password-stdin")
    if can_sync and every:
        err.print(f"Syncing every {every / 60:g} min.")
    elif not can_sync:
        err.print("No connector sync available in this server; data changes with import or demo.")
    sys.stdout.flush()


def _has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or
                                                       os.environ.get("WAYLAND_DISPLAY"))


def serve_demo(db: str | None, host: str, port: int) -> None:
    """``salesscope demo``: an admin with a fresh random password (printed once), then serve."""
    users = UserStore()
    password = secrets.token_urlsafe(12)
    try:
        if users.get("admin") is None:
            users.add("admin", "admin", password)
        else:
            users.set_password("admin", password)
    except UserError as exc:
        raise WarehouseError(str(exc)) from None
    banner = (f"Log in as admin with password {password}\n"
              "(shown once; change it with `salesscope users passwd admin`)")
    run_server(db, host, port, "off", open_browser=True, banner=banner)
