"""A fake Kommo API v4 on 127.0.0.1: real HTTP, Kommo's shapes, limits and failures.

Serves a ``KommoAccount`` with the list quirks of ``fake_lists`` and, configurable per test:
a 7 requests/s limit answered by 429 with ``retry_after`` (and an IP block, 403, after too many),
injected 500/502/504 answers and slow responses, a 402/403 account, long-lived and OAuth tokens
(access tokens that expire, refresh tokens that are single-use: the old one keeps working until
the new pair is first used, then answers Kommo's "Token has been revoked"), webhooks, and
mutations (move or delete a lead now) that add the events Kommo would log.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kommo.fake_account import ACCOUNT_ID, SUBDOMAIN, KommoAccount, ulid
from kommo.fake_lists import ListSpec, Query, filtered, lead_shape, page
from kommo.fake_records import HOST, event

PROBLEM = "application/problem+json"
UNAUTHORIZED = {"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401,
                "detail": "Invalid user name or password"}
REVOKED = {"hint": "Token has been revoked", "title": "Некорректный запрос",
           "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson", "status": 401,
           "detail": "В запросе отсутствует ряд параметров или параметры невалидны"}
LISTS = {
    "/api/v4/leads": ListSpec("leads"), "/api/v4/contacts": ListSpec("contacts"),
    "/api/v4/companies": ListSpec("companies"), "/api/v4/tasks": ListSpec("tasks"),
    "/api/v4/leads/notes": ListSpec("notes"), "/api/v4/contacts/notes": ListSpec("notes"),
    "/api/v4/companies/notes": ListSpec("notes"), "/api/v4/users": ListSpec("users"),
    "/api/v4/leads/loss_reasons": ListSpec("loss_reasons"),
    "/api/v4/events": ListSpec("events", 100, ("created_at", "desc")),
}


@dataclass
class FakeOptions:
    token: str | None = "long-lived-token-0123456789"
    rate_limit: float | None = None
    """Requests per second before 429 (Kommo: 7); None = unlimited (fast tests)."""
    retry_after: int = 1
    block_after_429: int | None = None
    """After this many 429s every answer is 403 (Kommo's IP block)."""
    fault_rate: float = 0.0
    """Share of requests answered 500, 502 or 504, or answered late."""
    slow_s: float = 2.0
    seed: int = 1
    short_pages: bool = False
    access_ttl_s: int = 86_400
    clients: dict[str, tuple[str, str]] = field(default_factory=dict)
    """OAuth client id → (secret, redirect URI)."""


@dataclass
class Logged:
    method: str
    path: str
    query: Query
    status: int
    at: float


@dataclass
class _Grant:
    client_id: str
    expires_at: float
    parent: str | None = None
    """The refresh token this pair replaced (revoked once this pair is first used)."""


class FakeKommo:
    """The fake account's API; ``start()`` serves it, ``url`` is its root."""

    def __init__(self, account: KommoAccount, options: FakeOptions | None = None) -> None:
        self.account = account
        self.options = options or FakeOptions()
        self.log: list[Logged] = []
        self.errors: list[str] = []
        """Exceptions inside the fake itself (a test fails on any)."""
        self.script: deque[tuple[int | str, Any]] = deque()
        """Forced answers for the next requests: (status, body), or ("slow", seconds) to answer
        normally but late."""
        self.refuse: tuple[int, dict[str, Any]] | None = None
        self.after_request: Callable[[Logged], None] | None = None
        """Called after each answer is decided: a test's way to change "Kommo" mid-sync."""
        self.codes: dict[str, str] = {}
        self.access: dict[str, _Grant] = {}
        self.refresh: dict[str, _Grant] = {}
        self.revoked: set[str] = set()
        self.webhooks: list[dict[str, Any]] = []
        self._times: deque[float] = deque()
        self._served_429 = 0
        self._random = random.Random(self.options.seed)
        self._lock = threading.RLock()
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- serving -------------------------------------------------------------------------------

    def start(self) -> FakeKommo:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def statuses(self) -> list[int]:
        return [entry.status for entry in self.log]

    # -- one request ---------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, float]:
        """(status, JSON body or None, seconds to wait before answering)."""
        parts = urlsplit(target)
        query = parse_qsl(parts.query, keep_blank_values=True)
        try:
            status, answer, delay = self._decide(method, parts.path, query, headers, body)
        except Exception as exc:  # a bug in the fake: answer 500 and let the test see it
            self.errors.append(f"{method} {target}: {exc!r}")
            status, answer, delay = 500, {"title": "fake error", "status": 500}, 0.0
        entry = Logged(method, parts.path, query, status, time.time())
        with self._lock:
            self.log.append(entry)
        if self.after_request:
            self.after_request(entry)
        return status, answer, delay

    def _decide(self, method: str, path: str, query: Query, headers: dict[str, str],
                body: bytes) -> tuple[int, Any, float]:
        with self._lock:
            if self.refuse:
                return self.refuse[0], self.refuse[1], 0.0
            limited = self._rate_limited()
            if limited:
                return limited[0], limited[1], 0.0
            scripted = self.script.popleft() if self.script else None
            fault = self._fault() if scripted is None else None
        delay = self.options.slow_s if fault else 0.0
        if scripted is not None:
            if scripted[0] != "slow":
                return int(scripted[0]), scripted[1], 0.0
            delay = float(scripted[1])
        if fault and fault[0] != 200:
            return fault[0], fault[1], 0.0
        if path == "/oauth2/access_token" and method == "POST":
            status, answer = self._token(body)
            return status, answer, delay
        if not self._authorized(headers.get("authorization", "")):
            return 401, UNAUTHORIZED, delay
        status, answer = self._route(method, path, query, body)
        return status, answer, delay

    def _rate_limited(self) -> tuple[int, Any] | None:
        opts = self.options
        if opts.block_after_429 is not None and self._served_429 >= opts.block_after_429:
            return 403, {"title": "Forbidden", "type": "https://httpstatus.es/403", "status": 403,
                         "detail": "You have exceeded the limit of 7 requests per second for IP"}
        now = time.monotonic()
        while self._times and self._times[0] <= now - 1.0:
            self._times.popleft()
        if opts.rate_limit is not None and len(self._times) >= opts.rate_limit:
            self._served_429 += 1
            return 429, {"title": "Too Many Requests", "type": "https://httpstatus.es/429", "status": 429,
                         "detail": "You have sent too many requests in a given amount of time. Please try "
                                   "again later.", "retry_after": opts.retry_after}
        self._times.append(now)
        return None

    def _fault(self) -> tuple[int, Any] | None:
        if not self.options.fault_rate or self._random.random() >= self.options.fault_rate:
            return None
        kind = self._random.choice((500, 502, 504, 200))
        bodies = {500: {"title": "ErrInternalServer", "status": 500, "detail": "internal error",
                        "trace_id": secrets.token_hex(8)},
                  502: "<html><body><h1>502 Bad Gateway</h1></body></html>",
                  504: {"title": "Gateway Timeout", "type": "https://httpstatus.es/504", "status": 504},
                  200: None}
        return kind, bodies[kind]

    # -- auth ----------------------------------------------------------------------------------

    def _authorized(self, header: str) -> bool:
        token = header[7:] if header.startswith("Bearer ") else ""
        if self.options.token and token == self.options.token:
            return True
        with self._lock:
            grant = self.access.get(token)
            if grant is None or grant.expires_at < time.time():
                return False
            self._first_use(grant)
        return True

    def _first_use(self, grant: _Grant) -> None:
        if grant.parent:
            self.revoked.add(grant.parent)
            self.refresh.pop(grant.parent, None)
            grant.parent = None

    def _token(self, body: bytes) -> tuple[int, Any]:
        try:
            doc = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return 400, {"title": "Bad Request", "status": 400, "detail": "Request data can not be empty"}
        client = self.options.clients.get(str(doc.get("client_id")))
        if client is None or client[0] != doc.get("client_secret"):
            return 401, REVOKED | {"hint": "Client authentication failed"}
        with self._lock:
            if doc.get("grant_type") == "authorization_code":
                if self.codes.pop(str(doc.get("code")), None) != doc["client_id"]:
                    return 400, REVOKED | {"status": 400, "hint": "Authorization code has been revoked"}
                return 200, self._issue(str(doc["client_id"]), None)
            old = str(doc.get("refresh_token"))
            grant = self.refresh.get(old)
            if doc.get("grant_type") != "refresh_token" or grant is None or old in self.revoked:
                return 401, REVOKED
            self._first_use(grant)
            return 200, self._issue(grant.client_id, old)

    def _issue(self, client_id: str, parent: str | None) -> dict[str, Any]:
        access, refresh = "acc-" + secrets.token_hex(16), "ref-" + secrets.token_hex(16)
        expires = time.time() + self.options.access_ttl_s
        self.access[access] = _Grant(client_id, expires, parent)
        self.refresh[refresh] = _Grant(client_id, time.time() + 90 * 86400, parent)
        return {"token_type": "Bearer", "expires_in": self.options.access_ttl_s, "server_time": int(time.time()),
                "access_token": access, "refresh_token": refresh}

    def new_code(self, client_id: str) -> str:
        """An authorization code, as the user would copy it from Kommo's consent screen."""
        code = "code-" + secrets.token_hex(8)
        self.codes[code] = client_id
        return code

    # -- routes --------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: Query, body: bytes) -> tuple[int, Any]:
        if path == "/api/v4/webhooks":
            return self._webhooks(method, body)
        if method != "GET":
            return 405, {"title": "Method Not Allowed", "status": 405}
        if path == "/api/v4/account":
            return 200, self.account.account
        if path == "/api/v4/leads/pipelines":
            return 200, {"_total_items": len(self.account.pipelines), "_links": {"self": {"href": HOST + path}},
                         "_embedded": {"pipelines": self.account.pipelines}}
        if path.startswith("/api/v4/leads/") and path.rsplit("/", 1)[1].isdigit():
            lead = self.account.leads.get(int(path.rsplit("/", 1)[1]))
            return (200, lead_shape(query)(lead)) if lead else (204, None)
        spec = LISTS.get(path)
        if spec is None:
            return 404, {"title": "Not Found", "type": "https://httpstatus.es/404", "status": 404,
                         "detail": f"Cannot GET https://{SUBDOMAIN}.kommo.com{path}"}
        items = self._listed(path, query, spec)
        shape = lead_shape(query) if path == "/api/v4/leads" else dict
        answer = page(items, query, spec, HOST, path, self.options.short_pages, shape)
        return answer.status, answer.body

    def _listed(self, path: str, query: Query, spec: ListSpec) -> list[dict[str, Any]]:
        key = (path, tuple((k, v) for k, v in query if k not in ("page", "limit")))
        with self._lock:
            if key not in self._cache:
                self._cache[key] = filtered(self._source(path, query), query, spec)
            return self._cache[key]

    def _source(self, path: str, query: Query) -> list[dict[str, Any]]:
        a = self.account
        if path == "/api/v4/leads":
            if "only_deleted" in ",".join(v for k, v in query if k == "with"):
                return [{"id": i, "updated_at": at, "is_deleted": True, "account_id": ACCOUNT_ID}
                        for i, at in a.deleted_leads.items()]
            return list(a.leads.values())
        sources: dict[str, Any] = {
            "/api/v4/contacts": a.contacts, "/api/v4/companies": a.companies, "/api/v4/tasks": a.tasks,
            "/api/v4/leads/notes": a.notes["leads"], "/api/v4/contacts/notes": a.notes["contacts"],
            "/api/v4/companies/notes": a.notes["companies"], "/api/v4/events": a.events,
            "/api/v4/users": a.users, "/api/v4/leads/loss_reasons": a.loss_reasons,
        }
        found = sources[path]
        return list(found.values()) if isinstance(found, dict) else list(found)

    def _webhooks(self, method: str, body: bytes) -> tuple[int, Any]:
        if method == "GET":
            if not self.webhooks:
                return 204, None
            return 200, {"_total_items": len(self.webhooks), "_embedded": {"webhooks": self.webhooks}}
        doc = json.loads(body or b"{}")
        if method == "DELETE":
            self.webhooks = [w for w in self.webhooks if w["destination"] != doc.get("destination")]
            return 204, None
        if not doc.get("destination") or not doc.get("settings"):
            return 400, {"title": "Bad Request", "status": 400, "detail": "Request validation failed"}
        hook = {"id": 839656 + len(self.webhooks), "destination": doc["destination"], "created_at": int(time.time()),
                "updated_at": int(time.time()), "account_id": ACCOUNT_ID, "created_by": 100,
                "sort": doc.get("sort", 1), "disabled": False, "settings": list(doc["settings"])}
        self.webhooks.append(hook)
        return 201, hook

    # -- changes made "in Kommo" while tests run -------------------------------------------------

    def move_lead(self, lead_id: int, status_id: int, by: int, pipeline_id: int | None = None) -> dict[str, Any]:
        """Move a lead to another stage now, logging the event Kommo would log."""
        with self._lock:
            old = self.account.leads[lead_id]
            now = int(time.time())
            before = {"id": old["status_id"], "pipeline_id": old["pipeline_id"]}
            lead = old | {"status_id": status_id, "pipeline_id": pipeline_id or old["pipeline_id"], "updated_at": now,
                          "updated_by": by, "closed_at": now if status_id in (142, 143) else None}
            self.account.leads[lead_id] = lead  # a new dict: accounts share unchanged records
            self._log_event("lead_status_changed", now, by, "lead", lead_id, [{"lead_status": before}],
                            [{"lead_status": {"id": status_id, "pipeline_id": lead["pipeline_id"]}}])
            return lead

    def delete_lead(self, lead_id: int, by: int) -> None:
        with self._lock:
            self.account.leads.pop(lead_id)
            now = int(time.time())
            self.account.deleted_leads[lead_id] = now
            self._log_event("lead_deleted", now, by, "lead", lead_id)

    def delete_task(self, task_id: int, by: int) -> None:
        """Delete a task now: it leaves the tasks list (Kommo lists no deleted tasks) and
        ``task_deleted`` is logged (Kommo has no ``task_restored``)."""
        with self._lock:
            self.account.tasks.pop(task_id)
            self._log_event("task_deleted", int(time.time()), by, "task", task_id)

    def _log_event(self, kind: str, at: int, by: int, entity_type: str, entity: int,
                   before: list[Any] | None = None, after: list[Any] | None = None) -> None:
        event_id = ulid(at * 1000, f"live-{kind}-{entity}-{len(self.account.events)}")
        self.account.events[event_id] = event(kind, event_id, at, by, entity_type, entity, before, after)
        self._cache.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms ACK wait

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer, delay = self.server.fake.respond(method, self.path, headers, body)  # type: ignore[attr-defined]
        if delay:
            time.sleep(delay)
        if answer is None:
            data, kind = b"", None
        elif isinstance(answer, str):
            data, kind = answer.encode(), "text/html"
        else:
            data = json.dumps(answer, ensure_ascii=False).encode()
            kind = "application/hal+json" if status < 400 else PROBLEM
        try:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
