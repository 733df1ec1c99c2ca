"""How a request fails: pages get a page, data twins (``.json``/``.csv``) get JSON and a status.

HTML without a session redirects to ``/login``; data without one answers 401. A role asking for
data it may not see is 403 everywhere; a bad filter is 400 with the one-line message naming the
value and the valid choices; an unknown report is 404.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response


class LoginRequired(Exception):
    """No valid session."""


class NotFound(Exception):
    """No such report or page; the message lists what there is."""


class PageError(Exception):
    """Carries the status and one-line message of a failed page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def wants_data(request: Request) -> bool:
    """Whether the request is for data (a ``.json``/``.csv`` twin or the control API)."""
    path = request.url.path
    return path.endswith((".json", ".csv")) or path.startswith("/_control")


def login_redirect(request: Request) -> Response:
    if wants_data(request):
        return JSONResponse({"error": "log in first: POST /login with username, password and "
                             "csrf_token"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def data_error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)
