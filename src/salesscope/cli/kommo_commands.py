"""``connect kommo``, ``sync``, ``status`` and ``kommo webhooks install``.

Tokens are never command-line arguments (they would land in shell history and ``ps``): they come
from ``KOMMO_TOKEN`` (``KOMMO_CLIENT_SECRET``, ``KOMMO_AUTH_CODE`` for OAuth) or a hidden
prompt, and go to the 0600 secrets file. Every log handler these commands install masks every
known secret, ``--verbose`` included. While ``salesscope serve`` holds the warehouse, ``sync``
and ``status`` ask the server instead of opening the file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from salesscope.cli.output import DbOption
from salesscope.cli.warehouse_access import (
    open_for_reading,
    open_for_writing,
    server_client,
    server_status,
)
from salesscope.config import ConfigError
from salesscope.connectors.kommo import connection as conn
from salesscope.connectors.kommo.auth import SECTION, LongLivedToken, NoCredentials, exchange_code
from salesscope.connectors.kommo.client import ClientOptions, KommoClient
from salesscope.connectors.kommo.errors import KommoError, KommoNotConnected
from salesscope.connectors.kommo.ratelimit import DEFAULT_RATE
from salesscope.connectors.kommo.reference import fetch_account
from salesscope.connectors.kommo.scheduled import request_full_sync
from salesscope.connectors.kommo.status import age_label, status_document
from salesscope.connectors.kommo.sync import SyncReport, sync, utc_now
from salesscope.secrets import REDACTOR, RedactingFilter, SecretsError, SecretStore
from salesscope.warehouse.schema import TABLES
from salesscope.warehouse.store import WarehouseError

out = Console()
err = Console(stderr=True)
connect_app = typer.Typer(help="Connect salesscope to your CRM.", no_args_is_help=True)
kommo_app = typer.Typer(help="Kommo-specific commands.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Kommo webhooks: changes pushed to `salesscope serve`.", no_args_is_help=True)
kommo_app.add_typer(webhooks_app, name="webhooks")



def register(app: typer.Typer) -> None:
    """Add ``connect``, ``sync``, ``status`` and ``kommo`` to the main command line."""
    app.add_typer(connect_app, name="connect")
    app.command("sync")(sync_command)
    app.command("status")(status_command)
    app.add_typer(kommo_app, name="kommo")


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"salesscope: error: {REDACTOR.redact(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _secret_input(env: str, prompt: str) -> str:
    """A secret from an environment variable, else a hidden prompt (never an argument)."""
    value = os.environ.get(env)
    if not value:
        if not sys.stdin.isatty():
            fail(f"set {env} (or run in a terminal to be asked for the {prompt.lower()})")
        value = typer.prompt(prompt, hide_input=True)
    value = value.strip()
    REDACTOR.add(value)
    return value


# -- connect -------------------------------------------------------------------------------------

@connect_app.command("kommo")
def connect_kommo(
    subdomain: Annotated[str | None, typer.Option(help="Account name: NAME of NAME.kommo.com.")] = None,
    domain: Annotated[str, typer.Option(help="kommo.com, amocrm.ru or amocrm.com.")] = "kommo.com",
    base_url: Annotated[str | None, typer.Option(help="Any API root instead (a proxy, a test server).")] = None,
    oauth: Annotated[bool, typer.Option("--oauth", help="OAuth 2 instead of a long-lived token.")] = False,
    client_id: Annotated[str | None, typer.Option(help="OAuth integration id (with --oauth).")] = None,
    redirect_uri: Annotated[str | None, typer.Option(help="OAuth redirect URI (with --oauth).")] = None,
    rate_limit: Annotated[float, typer.Option(help="Requests per second (Kommo allows 7).")] = DEFAULT_RATE,
) -> None:
    """Connect to a Kommo account: check the credentials with one call, then save them.

    The long-lived token is read from KOMMO_TOKEN or a hidden prompt; with --oauth the client
    secret from KOMMO_CLIENT_SECRET and the authorization code from KOMMO_AUTH_CODE (or prompts).
    """
    try:
        root, web_root = conn.api_root(subdomain, domain, base_url)
        conn.check_rate(rate_limit, root)
    except ValueError as exc:
        fail(str(exc))
    store = SecretStore()
    try:
        if oauth:
            _connect_oauth(root, client_id, redirect_uri, store)
            credentials = conn.credentials(conn.KommoConnection(root, "oauth"), store)
        else:
            token = _secret_input("KOMMO_TOKEN", "Kommo long-lived token")
            credentials = LongLivedToken(token)
        with KommoClient(root, credentials, ClientOptions(rate=rate_limit, max_retries=2)) as client:
            account = fetch_account(client)
        if not oauth:
            store.put_section(SECTION, {"token": token})
    except (KommoError, SecretsError) as exc:
        fail(str(exc), 1)
    settings = account.get("_embedded", {}).get("datetime_settings", {})
    connection = conn.KommoConnection(root, "oauth" if oauth else "token", web_root, rate_limit,
                                      account_id=int(account["id"]), account_name=str(account.get("name")))
    path = conn.save_connection(connection)
    out.print(f"Connected to Kommo account {account.get('name')!r} (currency "
              f"{account.get('currency', '?')}, timezone {settings.get('timezone', '?')}). "
              f"Settings: {path}; secrets: {store.path}", markup=False)


def _connect_oauth(root: str, client_id: str | None, redirect_uri: str | None, store: SecretStore) -> None:
    if not client_id or not redirect_uri:
        fail("--oauth needs --client-id and --redirect-uri")
    secret = _secret_input("KOMMO_CLIENT_SECRET", "OAuth client secret")
    code = _secret_input("KOMMO_AUTH_CODE", "Authorization code")
    with KommoClient(root, NoCredentials(), ClientOptions(max_retries=2)) as client:
        pair = exchange_code(client.post_token, client_id, secret, redirect_uri, code)
    with store.locked():
        store.put_section(SECTION, pair)  # the code is spent: keep the pair before anything else


# -- sync ----------------------------------------------------------------------------------------

class RichProgress:
    """One line per stream: records, pages, requests per second, elapsed time."""

    def __init__(self, progress: Progress, client: KommoClient) -> None:
        self.progress = progress
        self.client = client
        self.tasks: dict[str, TaskID] = {}
        self.counts: dict[str, list[int]] = {}
        self.started = time.monotonic()

    def stream_started(self, name: str, label: str) -> None:
        self.counts[name] = [0, 0]
        self.tasks[name] = self.progress.add_task(label, total=None, records=0, pages=0, rate=0.0)

    def page_loaded(self, name: str, records: int) -> None:
        counts = self.counts[name]
        counts[0] += records
        counts[1] += 1
        rate = self.client.stats.requests / max(time.monotonic() - self.client.stats.started, 1e-6)
        self.progress.update(self.tasks[name], records=counts[0], pages=counts[1], rate=rate)

    def stream_finished(self, name: str, rows: int) -> None:
        self.progress.update(self.tasks[name], total=1, completed=1)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(finished_text="✓"), TextColumn("{task.description:<9}"),
        TextColumn("{task.fields[records]:>9,} records"), TextColumn("{task.fields[pages]:>6,} pages"),
        TextColumn("{task.fields[rate]:>4.1f} req/s"), TimeElapsedColumn(), console=err, transient=False,
    )


class _SyncLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The sync command's stderr log handler (one at a time), masking every known secret."""


def _logging(verbose: bool) -> None:
    """Log to stderr through a redacting handler (DEBUG with --verbose, else warnings)."""
    handler = _SyncLogHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SyncLogHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


def sync_command(
    db: DbOption = None,
    full: Annotated[bool, typer.Option("--full", help="Read everything again, not only changes.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request (secrets masked).")] = False,
) -> None:
    """Bring the warehouse up to date with the connected Kommo account (incremental by default)."""
    _logging(verbose)
    try:
        connection = conn.load_connection()
        done = _sync_through_server(db, full)
        if done is not None:
            err.print(f"Synced by the running server: {json.dumps(done.get('result', done))}", markup=False)
            return
        client = conn.open_client(connection, SecretStore())
    except (KommoNotConnected, ConfigError) as exc:
        fail(str(exc))
    except (KommoError, SecretsError, WarehouseError) as exc:
        fail(str(exc), 1)
    try:
        with client, open_for_writing(db) as wh, _progress() as bar:
            report = sync(wh, client, full=full, progress=RichProgress(bar, client),
                          overlap_s=connection.overlap_s, web_root=connection.web_root, reconnect=True)
    except KommoError as exc:
        fail(f"{exc} (the sync resumes from its last page next time)", 1)
    _summary(report, client)


SERVER_BUSY_WAIT_S = 2.0
"""How often to ask again while the server's own sync job runs."""


def _sync_through_server(db: str | None, full: bool) -> dict[str, Any] | None:
    """Run the running server's sync job (a full one with ``--full``); None without a server.

    A sync the server is already running (its schedule, a webhook) is waited for, then ours runs:
    the warehouse file is the server's, so the sync has to happen in its process.
    """
    client = server_client(db)
    if client is None:
        return None
    if full:
        request_full_sync()
    told = False
    while True:
        try:
            return client.run_job("sync")
        except WarehouseError as exc:
            if "already running" not in str(exc):
                raise
        if not told:
            err.print("The running server is syncing already; waiting for it to finish…", markup=False)
            told = True
        time.sleep(SERVER_BUSY_WAIT_S)


def _summary(report: SyncReport, client: KommoClient) -> None:
    rate = report.requests / max(report.seconds, 1e-6)
    kind = "full" if report.full else "incremental"
    resumed = ", resumed" if report.resumed else ""
    err.print(f"Kommo {kind} sync{resumed} done in {report.seconds:.1f} s: {sum(report.rows.values()):,} rows, "
              f"{report.requests:,} requests ({rate:.1f}/s, {client.stats.retries} retried).", markup=False)


# -- status --------------------------------------------------------------------------------------

def status_command(
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Last sync, cursors, row counts per table and how fresh the data is."""
    if fmt not in ("table", "json"):
        fail(f"unknown format {fmt!r}; valid: table, json")
    try:
        served = server_status(db)
        if served is not None:
            doc = status_document(served["warehouse"], served["tables"], served["sync_state"],
                                  served["data_as_of"], utc_now())
        else:
            with open_for_reading(db) as wh:
                counts = {t.name: int(wh.table(t.name).count().to_pyarrow().as_py()) for t in TABLES}
                doc = status_document(wh.location, counts, wh.rows("sync_state"), wh.data_as_of(), utc_now())
    except WarehouseError as exc:
        fail(str(exc), 1)
    if fmt == "json":
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    _status_tables(doc)


def _status_tables(doc: dict[str, Any]) -> None:
    run = doc["last_sync"]
    if run is None:
        out.print("No Kommo sync yet.", markup=False)
    else:
        state = "finished " + str(run["finished_at"]) if run["finished"] else "unfinished (resumes on next sync)"
        out.print(f"Last {'full' if run['full'] else 'incremental'} sync started {run['started_at']}, {state}.",
                  markup=False)
    out.print(f"Data as of {doc['data_as_of'] or '—'} ({age_label(doc['age_s'])} ago).", markup=False)
    if doc["cursors"]:
        cursors = Table("stream", "next window from", "rows last run", title="Cursors")
        for name, since in doc["cursors"].items():
            cursors.add_row(name, since or "(everything)", f"{doc['streams'][name]['rows'] or 0:,}")
        out.print(cursors)
    tables = Table("table", "rows", title=f"Tables of {doc['warehouse']}")
    for name, count in doc["tables"].items():
        tables.add_row(name, f"{count:,}")
    out.print(tables)


# -- webhooks ------------------------------------------------------------------------------------

@webhooks_app.command("install")
def install_webhooks(
    url: Annotated[str, typer.Option("--url", help="Public address of `salesscope serve`, e.g. https://sales.example.com")],
) -> None:
    """Ask Kommo to send lead, contact and task changes to this server's webhook endpoint."""
    from salesscope.connectors.kommo.webhooks import SETTINGS, destination, webhook_secret  # FastAPI: not for sync

    if not url.startswith(("https://", "http://")) or " " in url:
        fail(f"malformed --url {url!r}; valid: the public http(s) address of `salesscope serve`")
    try:
        connection = conn.load_connection()
        store = SecretStore()
        target = destination(url, str(webhook_secret(store, create=True)))
        with conn.open_client(connection, store) as client:
            listed = client.get("/api/v4/webhooks", [("filter[destination]", target)]) or {}
            hooks = listed.get("_embedded", {}).get("webhooks", [])
            if any(h.get("destination") == target and not h.get("disabled") for h in hooks):
                out.print(f"Already registered: {REDACTOR.redact(target)}", markup=False)
                return
            client.post("/api/v4/webhooks", {"destination": target, "settings": list(SETTINGS), "sort": 10})
    except (KommoNotConnected, ConfigError) as exc:
        fail(str(exc))
    except (KommoError, SecretsError) as exc:
        fail(str(exc), 1)
    out.print(f"Kommo will post {len(SETTINGS)} kinds of change to {REDACTOR.redact(target)} "
              f"(the secret path is in {store.path}).", markup=False)
