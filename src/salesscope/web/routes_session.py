"""Logging in and out, and switching language: the only pages without a session.

The login form posts ``username``, ``password`` and the hidden ``csrf_token``; failures are
rate-limited per name and per address (429 with Retry-After). Argon2 verification runs in a worker
thread so a login never stalls the pages of others.
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from salesscope.auth.cookies import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, SESSION_MAX_AGE
from salesscope.auth.users import WebUser
from salesscope.web.errors import LoginRequired, PageError
from salesscope.web.i18n import LOCALES
from salesscope.web.pages import LANG_COOKIE, render, secure
from salesscope.web.state import web_state

router = APIRouter()


def current_user(request: Request) -> WebUser | None:
    """The user of this request's session cookie, or None."""
    state = web_state(request)
    session_id = state.cookies.session_id(request.cookies.get(SESSION_COOKIE))
    return state.users.session_user(session_id) if session_id else None


def require_user(request: Request) -> WebUser:
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, after checking its CSRF token against this browser's cookie."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    submitted = fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not web_state(request).cookies.csrf_matches(request.cookies.get(CSRF_COOKIE), submitted):
        raise PageError(403, "the form's security token is missing or stale: reload the page "
                        "and try again")
    return fields


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or ``https://host``) to go to after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=safe_next(next), error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    state = web_state(request)
    fields = await checked_form(request)
    name, password = fields.get("username", "").strip(), fields.get("password", "")
    target = safe_next(fields.get("next"))
    address = request.client.host if request.client else "unknown"
    wait = state.limiter.wait_s(address, name)
    if wait > 0:
        limited = render(request, "login.html", None, status=429, next=target,
                          error=("Too many failed attempts. Try again in {minutes} min.",
                                 {"minutes": math.ceil(wait / 60)}))
        limited.headers["Retry-After"] = str(math.ceil(wait))
        return limited
    user = await run_in_threadpool(state.users.authenticate, name, password)
    if user is None:
        state.limiter.failed(address, name)
        return render(request, "login.html", None, status=401, next=target,
                      error=("Wrong user name or password.", {}))
    state.limiter.succeeded(name)
    session_id = await run_in_threadpool(state.users.open_session, user.name)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, state.cookies.session_cookie(session_id),
                        max_age=SESSION_MAX_AGE, httponly=True, samesite="lax",
                        secure=secure(request, state))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    state = web_state(request)
    await checked_form(request)
    session_id = state.cookies.session_id(request.cookies.get(SESSION_COOKIE))
    if session_id:
        await run_in_threadpool(state.users.close_session, session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure(request, state))
    return response


@router.post("/language")
async def language(request: Request) -> Response:
    """Switch the page language; remembered per user (and per browser before login)."""
    state = web_state(request)
    fields = await checked_form(request)
    locale = fields.get("locale", "")
    if locale not in LOCALES:
        raise PageError(400, f"unknown language {locale!r}; valid: {', '.join(LOCALES)}")
    user = await run_in_threadpool(current_user, request)
    if user is not None:
        await run_in_threadpool(state.users.set_locale, user.name, locale)
    response = RedirectResponse(safe_next(fields.get("next")), status_code=303)
    response.set_cookie(LANG_COOKIE, locale, max_age=SESSION_MAX_AGE, samesite="lax",
                        secure=secure(request, state))
    return response
