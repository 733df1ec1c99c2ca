"""Admin pages: web users (add, remove, new password) and account settings.

Admins only. Users live in ``auth.sqlite3``; settings in the warehouse, written through the
server's writer lock (``Runtime.write``) so a setting never races a scheduled sync.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from salesscope import settings
from salesscope.auth.access import Forbidden
from salesscope.auth.users import ROLES, UserError, WebUser
from salesscope.web.pages import render
from salesscope.web.routes_session import checked_form, current_user, require_user
from salesscope.web.state import web_state

router = APIRouter(prefix="/admin")


def require_admin(request: Request) -> WebUser:
    user = require_user(request)
    if user.role != "admin":
        raise Forbidden("only admins manage users and settings")
    return user


async def _admin(request: Request) -> WebUser:
    user = await run_in_threadpool(current_user, request)
    if user is None:
        require_user(request)  # raises LoginRequired
    assert user is not None
    if user.role != "admin":
        raise Forbidden("only admins manage users and settings")
    return user


@router.get("/users")
def users_page(request: Request, done: str = "") -> Response:
    user = require_admin(request)
    state = web_state(request)
    return render(request, "admin_users.html", user, users=state.users.list(), roles=ROLES,
                  error=None, done=done)


@router.post("/users")
async def users_change(request: Request) -> Response:
    """One form per action: add, remove or password (the ``action`` field)."""
    user = await _admin(request)
    state = web_state(request)
    fields = await checked_form(request)
    action, name = fields.get("action", ""), fields.get("name", "").strip()
    try:
        if action == "add":
            await run_in_threadpool(
                state.users.add, name, fields.get("role", ""), fields.get("password", ""),
                fields.get("manager") or None, fields.get("team") or None)
        elif action == "remove":
            if name == user.name:
                raise UserError("you cannot remove yourself; another admin can")
            await run_in_threadpool(state.users.remove, name)
        elif action == "password":
            await run_in_threadpool(state.users.set_password, name, fields.get("password", ""))
        else:
            raise UserError(f"unknown action {action!r}; valid: add, remove, password")
    except UserError as exc:
        users = await run_in_threadpool(state.users.list)
        return render(request, "admin_users.html", user, status=400, users=users, roles=ROLES,
                      error=str(exc), done="")
    return RedirectResponse(f"/admin/users?done={action}", status_code=303)


@router.get("/settings")
def settings_page(request: Request, done: str = "") -> Response:
    user = require_admin(request)
    return render(request, "admin_settings.html", user, rows=_setting_rows(request), error=None,
                  done=done)


def _setting_rows(request: Request) -> list[dict[str, object]]:
    """Each declared setting (per-pipeline ones once per pipeline) with its stored value."""
    wh = web_state(request).runtime.warehouse
    stored = settings.stored(wh)
    rows: list[dict[str, object]] = []
    for setting in settings.SETTINGS:
        names = ([(f"{setting.name}:{p['id']}", str(p["name"])) for p in wh.catalog().pipelines]
                 if setting.per_pipeline else [(setting.name, "")])
        for name, pipeline in names:
            rows.append({"name": name, "pipeline": pipeline, "value": stored.get(name, ""),
                         "default": setting.default, "help": setting.help})
    return rows


@router.post("/settings")
async def settings_change(request: Request) -> Response:
    user = await _admin(request)
    state = web_state(request)
    fields = await checked_form(request)
    name, value = fields.get("name", ""), fields.get("value", "").strip()
    try:
        await run_in_threadpool(state.runtime.write, lambda wh: settings.set_value(wh, name, value))
    except settings.SettingError as exc:
        rows = await run_in_threadpool(_setting_rows, request)
        return render(request, "admin_settings.html", user, status=400, rows=rows, error=str(exc),
                      done="")
    return RedirectResponse("/admin/settings?done=1", status_code=303)
