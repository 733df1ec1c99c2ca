"""The application factory: ``create_app(warehouse, users, ...)`` → a FastAPI app.

The caller owns the warehouse (``serve`` opens it read-write; tests open a demo) and passes the
scheduled jobs, extra routers (a connector's webhook receiver) and the control API's token.
Errors a user can cause become pages or JSON here, in one place.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from salesscope.auth.access import Forbidden
from salesscope.auth.cookies import CookieCodec
from salesscope.auth.ratelimit import LoginLimiter
from salesscope.auth.users import UserStore
from salesscope.reports.errors import FilterError
from salesscope.warehouse.store import Warehouse
from salesscope.web import assets, control, routes_admin, routes_reports, routes_session
from salesscope.web.errors import LoginRequired, NotFound, PageError, data_error, login_redirect, wants_data
from salesscope.web.jobs import Job, JobRunner
from salesscope.web.pages import render
from salesscope.web.routes_session import current_user
from salesscope.web.runtime import InFlightRequests, Runtime
from salesscope.web.state import WebState

log = logging.getLogger("salesscope.web")


def create_app(
    warehouse: Warehouse,
    users: UserStore,
    *,
    jobs: Sequence[Job] = (),
    routers: Sequence[object] = (),
    control_token: str | None = None,
    limiter: LoginLimiter | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    runtime = Runtime(warehouse)
    runner = JobRunner(runtime, list(jobs))

    warm_up = WarmUp(lambda: routes_reports.warm(app.state.web))
    runtime.on_change.append(warm_up.start)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warm_up.enabled = True
        warm_up.start()
        runner.start()
        try:
            yield
        finally:
            runner.stop()
            warm_up.stop()

    app = FastAPI(title="salesscope", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.web = WebState(runtime, users, CookieCodec(users.secret_key()),
                             limiter or LoginLimiter(), runner, control_token, secure_cookies)
    for router in (assets.router, routes_session.router, routes_reports.router,
                   routes_admin.router, control.router, *routers):
        app.include_router(router)  # type: ignore[arg-type]
    _handlers(app)
    app.add_middleware(InFlightRequests, runtime=runtime)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app


class WarmUp:
    """Builds the overview in a background thread while the server runs (never after it stops:
    the warehouse is closed then)."""

    def __init__(self, build: Callable[[], None]) -> None:
        self.build = build
        self.enabled = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if not self.enabled or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self.build, name="salesscope-warm", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self.enabled = False
            thread = self._thread
        if thread is not None:
            thread.join(timeout=60)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: Exception) -> Response:
        return login_redirect(request)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Exception) -> Response:
        return _fail(request, 403, str(exc))

    @app.exception_handler(FilterError)
    async def bad_filter(request: Request, exc: Exception) -> Response:
        return _fail(request, 400, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: Exception) -> Response:
        return _fail(request, 404, str(exc))

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return _fail(request, exc.status, str(exc))

    @app.exception_handler(control.ControlDenied)
    async def control_denied(request: Request, _: Exception) -> Response:
        return JSONResponse({"error": "the control API answers only local calls with the server's "
                             "token"}, status_code=403)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return _fail(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        return _fail(request, 500, f"this page failed ({type(exc).__name__}: {first}); the server log "
                     "has the details")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: Exception) -> Response:
        return _fail(request, 400, "malformed request")


def _fail(request: Request, status: int, message: str) -> Response:
    if wants_data(request):
        return data_error(status, message)
    try:
        user = current_user(request)
    except Exception:  # an error page must render even when the session store does not answer
        user = None
    return render(request, "error.html", user, status=status, status_code=status, message=message)
