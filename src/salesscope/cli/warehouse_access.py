"""How CLI commands open the warehouse: read-only for reports, read-write for builds.

Reports open the file read-only so that several report commands can run at once. A warehouse at an
older schema version, or with derived tables of an older salesscope, is first upgraded by one short
read-write open.

While ``salesscope serve`` holds a DuckDB warehouse, no other process may open the file
(``../shared/STACK.md``). The server leaves a note (``web.serverfile``) with its local control URL
and token; ``run_report``, ``run_deal_list``, ``server_status`` and ``run_server_job`` then ask the
server instead, as the goals and settings commands do through ``server_client``, and
``open_for_reading``/``open_for_writing`` refuse with a message naming the server, never with a
DuckDB lock error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from salesscope import paths
from salesscope.reports.drill import DealListOptions
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.result import ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.warehouse.store import Warehouse, WarehouseError
from salesscope.web import serverfile, wire


def _open(target: str, read_only: bool) -> Warehouse:
    if paths.is_postgres_url(target):
        url, schema = split_schema(target)
        return Warehouse.postgres(url, schema)
    return Warehouse.open(target, read_only=read_only)


def split_schema(url: str) -> tuple[str, str]:
    """``postgresql://…?schema=name`` → the URL psycopg accepts and the schema (default salesscope)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), "salesscope")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


class ServerFilterError(FilterError):
    """A bad filter, as the server worded it (the same one line a local run would print)."""

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, message)
        self.field, self.value, self.choices = "", "", []


def running_server(db: str | None) -> serverfile.ServerNote | None:
    """The server holding this warehouse, if one runs (PostgreSQL needs none: it has no such lock)."""
    return _serving(paths.warehouse_target(db))


def _serving(target: str) -> serverfile.ServerNote | None:
    """The note of a live server that answers its control API (a reused pid does not count)."""
    if paths.is_postgres_url(target):
        return None
    note = serverfile.read(target)
    if note is None:
        return None
    import httpx

    try:
        httpx.get(note.control_url + "/_control/ping", timeout=5,
                  headers={"Authorization": f"Bearer {note.token}"}).raise_for_status()
    except httpx.HTTPError:
        return None
    return note


def _refuse_if_served(target: str) -> None:
    note = _serving(target)
    if note is not None:
        raise WarehouseError(
            f"warehouse {target} is held by `salesscope serve` (pid {note.pid}, {note.page_url}); "
            "`report`, `deals`, `status`, `sync`, `goals` and `settings` work through it, but this "
            "command needs the file itself: stop the server first (Ctrl-C in its terminal)"
        )


class ServerClient:
    """The local control API of a running server (see ``salesscope.web.control``)."""

    def __init__(self, note: serverfile.ServerNote) -> None:
        self.note = note

    def _call(self, method: str, path: str, payload: Any = None, timeout: float | None = 600.0) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.note.token}"}
        try:
            response = httpx.request(method, self.note.control_url + path, json=payload,
                                     headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise WarehouseError(f"the server holding the warehouse (pid {self.note.pid}) did not "
                                 f"answer {path}: {exc}") from None
        if response.status_code == 400:
            raise ServerFilterError(str(response.json().get("error", response.text)))
        if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
                "application/json"):
            raise WarehouseError(f"server: {response.json().get('error', response.text)}")
        response.raise_for_status()
        return response

    def report(self, name: str, filters: Filters) -> ReportResult:
        response = self._call("POST", f"/_control/report/{name}", wire.filters_to_json(filters))
        return wire.result_from_ipc(response.content)

    def deal_list(self, filters: Filters, options: DealListOptions) -> ReportResult:
        payload = {"filters": wire.filters_to_json(filters), "options": wire.options_to_json(options)}
        return wire.result_from_ipc(self._call("POST", "/_control/deals", payload).content)

    def status(self) -> dict[str, Any]:
        doc: dict[str, Any] = self._call("GET", "/_control/status").json()
        return doc

    def people(self) -> dict[str, list[str]]:
        doc: dict[str, list[str]] = self._call("GET", "/_control/people").json()
        return doc

    def settings(self) -> ReportResult:
        """``settings list`` as the server computes it."""
        return wire.result_from_ipc(self._call("GET", "/_control/settings").content)

    def set_setting(self, name: str, value: str) -> str:
        """Check and store a setting in the server; the value as stored."""
        doc = self._call("POST", "/_control/settings", {"name": name, "value": value}).json()
        return str(doc["value"])

    def goals(self, period: str | None) -> ReportResult:
        """``goals list`` (overlapping ``period`` when given) as the server computes it."""
        return wire.result_from_ipc(self._call("POST", "/_control/goals/list", {"period": period}).content)

    def set_goals(self, scope: str, name: str, period: str,
                  targets: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Store goals in the server; the stored goals as ``goals list`` rows."""
        payload = {"scope": scope, "name": name, "period": period, "targets": targets}
        rows: list[dict[str, Any]] = self._call("POST", "/_control/goals", payload).json()["goals"]
        return rows

    def import_goals(self, file: Path) -> tuple[int, int]:
        """The server reads the CSV at ``file``'s absolute path; errors name the file as given."""
        try:
            doc = self._call("POST", "/_control/goals/import", {"path": str(file.absolute())}).json()
        except ServerFilterError as exc:
            raise ServerFilterError(str(exc).replace(str(file.absolute()), str(file), 1)) from None
        return int(doc["count"]), int(doc["changed"])

    def run_job(self, name: str) -> dict[str, Any]:
        """Run a server job (``sync``) now and wait for it; a failed job is a WarehouseError."""
        response = self._call("POST", f"/_control/jobs/{name}", timeout=None)
        doc: dict[str, Any] = response.json()
        return doc


def server_client(db: str | None) -> ServerClient | None:
    note = running_server(db)
    return ServerClient(note) if note is not None else None


def run_report(db: str | None, spec: ReportSpec, filters: Filters) -> ReportResult:
    """A report, run by the server holding the warehouse when one runs, else here."""
    client = server_client(db)
    if client is not None:
        return client.report(spec.name, filters)
    with open_for_reading(db) as wh:
        return spec.run(wh, filters)


def run_deal_list(db: str | None, filters: Filters, options: DealListOptions) -> ReportResult:
    """The deal list behind a number, through the server when one holds the warehouse."""
    client = server_client(db)
    if client is not None:
        return client.deal_list(filters, options)
    from salesscope.reports.deal_list import deal_list

    with open_for_reading(db) as wh:
        return deal_list(wh, filters, options)


def server_status(db: str | None) -> dict[str, Any] | None:
    """Row counts, sync state and jobs as the running server sees them; None without a server."""
    client = server_client(db)
    return client.status() if client is not None else None


def run_server_job(db: str | None, name: str) -> dict[str, Any] | None:
    """Run a job (e.g. ``sync``) inside the running server; None without a server."""
    client = server_client(db)
    return client.run_job(name) if client is not None else None


@contextmanager
def open_for_writing(db: str | None) -> Iterator[Warehouse]:
    target = paths.warehouse_target(db)
    _refuse_if_served(target)
    wh = _open(target, read_only=False)
    try:
        yield wh
    finally:
        wh.close()


@contextmanager
def open_for_reading(db: str | None) -> Iterator[Warehouse]:
    target = paths.warehouse_target(db)
    _refuse_if_served(target)
    if not paths.is_postgres_url(target) and not Path(target).exists():
        raise WarehouseError(
            f"no warehouse at {target}: build the demo with `salesscope demo --no-serve` "
            "or give --db PATH"
        )
    try:
        wh = _open(target, read_only=True)
    except WarehouseError as exc:
        if "open it read-write once" not in str(exc):
            raise
        _open(target, read_only=False).close()  # upgrades it: migrations, derived tables
        wh = _open(target, read_only=True)
    try:
        yield wh
    finally:
        wh.close()
