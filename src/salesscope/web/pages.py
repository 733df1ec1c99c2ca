"""Rendering a page: the Jinja2 environment, the context every page shares, security headers.

Every page carries the "data as of" stamp, the sync-status line, the report navigation, the
language switch and the CSRF token of this browser (set as a cookie on first sight).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from salesscope import __version__
from salesscope.auth.cookies import CSRF_COOKIE, SESSION_MAX_AGE
from salesscope.auth.users import WebUser
from salesscope.reports import registry
from salesscope.web.assets import asset_url
from salesscope.web.cells import CellFormatter
from salesscope.web.i18n import LOCALE_NAMES, Translator, negotiate
from salesscope.web.state import WebState, web_state

LANG_COOKIE = "salesscope_lang"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'; form-action 'self'",
}


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def fragment(template: str, **context: Any) -> Markup:
    """A part of a page rendered on its own (to be cached and inserted into pages)."""
    return Markup(environment().get_template(template).render(**context))


def locale_of(request: Request, user: WebUser | None) -> str:
    """The user's saved language, else this browser's choice, else what it asks for."""
    if user is not None and user.locale:
        return user.locale
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALE_NAMES:
        return chosen
    return negotiate(request.headers.get("accept-language"))


def secure(request: Request, state: WebState) -> bool:
    return state.secure_cookies or request.url.scheme == "https"


def csrf_token(request: Request, state: WebState) -> tuple[str, bool]:
    """This browser's CSRF token, and whether it is new (then it must be set as a cookie)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie and state.cookies.csrf_valid(cookie):
        return cookie, False
    return state.cookies.new_csrf(), True


def sync_line(state: WebState, t: Translator, fmt: CellFormatter) -> str:
    """One line on where the data comes from, whether a sync runs or failed, and the next one."""
    jobs = state.jobs.states
    running = [name for name, s in jobs.items() if s.running]
    if running:
        return t("Sync running now ({jobs}); pages show the data as of the last finished one.",
                 jobs=", ".join(running))
    failed = [(name, s) for name, s in jobs.items() if s.ok is False]
    if failed:
        name, s = failed[0]
        return t("Last {job} failed at {when}: {message}", job=name, when=fmt.stamp(s.finished_at),
                 message=s.message)
    rows = state.runtime.cache.get_or_compute(state.runtime.warehouse, ("sync_state",),
                                              lambda: state.runtime.warehouse.rows("sync_state"))
    sources = sorted({str(r["source"]) for r in rows})
    if not sources:
        return t("No data loaded yet.")
    if sources == ["demo"]:
        return t("Demo account: generated data, no CRM connected.")
    line = t("Synced from {sources}.", sources=", ".join(sources))
    sync = jobs.get("sync")
    skipped = sync.result.get("skipped") if sync is not None else None
    if skipped:
        return line + " " + t("Scheduled sync skipped: {reason}", reason=skipped)
    if sync is not None and sync.next_at is not None:
        minutes = max(0, round((sync.next_at - _utcnow()).total_seconds() / 60))
        return line + " " + t("Next sync in {minutes} min.", minutes=minutes)
    return line + " " + t("No scheduled sync: run `salesscope sync` or serve with --sync-every.")


def _period_choices(as_of: dt.datetime | None) -> list[str]:
    """The last twelve months and four quarters before the data's date, for the period field."""
    day = (as_of or _utcnow()).date()
    months = []
    for back in range(12):
        index = day.year * 12 + day.month - 1 - back
        months.append(f"{index // 12}-{index % 12 + 1:02d}")
    quarter = (day.month - 1) // 3 + 1
    quarters = [f"{day.year - (quarter - 1 - k < 0)}-Q{(quarter - 1 - k) % 4 + 1}" for k in range(4)]
    return months + quarters + [str(day.year)]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def render(request: Request, template: str, user: WebUser | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    """A page with the shared context; sets the CSRF cookie on first sight."""
    state = web_state(request)
    locale = locale_of(request, user)
    t = Translator(locale)
    wh = state.runtime.warehouse
    account = wh.catalog().account
    fmt = CellFormatter(locale, account.timezone if account else "UTC", t("yes"), t("no"))
    token, new_token = csrf_token(request, state)
    currency = account.currency if account else None

    def tile_value(tile: Any, value: float | None) -> str:
        if value is None:
            return "—"
        return fmt.money(value, currency) if tile.metric.kind == "money" else fmt.count(value)

    def tile_definition(tile: Any) -> str:
        """A tile's definition in the page's language: each source column's, translated alone."""
        if not tile.definitions:
            return t(tile.definition) if tile.definition else ""
        return " + ".join(t(part) for part in tile.definitions)

    def nav_label(spec: Any) -> str:
        key = f"nav.{spec.name}"
        text = t(key)
        return text if text != key else t(spec.name.replace("_", " ").capitalize())

    shared = {
        "t": t, "locale": locale, "locales": LOCALE_NAMES, "user": user, "fmt": fmt,
        "reports": registry.REPORTS, "account": account, "csrf_token": token,
        "data_as_of": fmt.stamp(wh.data_as_of(), never=t("never")),
        "sync_line": sync_line(state, t, fmt) if user else "",
        "path": request.url.path, "here": str(request.url.path) + (
            f"?{request.url.query}" if request.url.query else ""),
        "version": __version__,
        "request_value": lambda name: request.query_params.get(name, ""),
        "nav_label": nav_label,
        "tile_value": tile_value,
        "tile_definition": tile_definition,
        "plotly_url": asset_url("plotly.min.js"),
        "asset": asset_url,
        "period_choices": _period_choices(wh.data_as_of()),
    }
    html = environment().get_template(template).render(**shared, **context)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if new_token:
        response.set_cookie(CSRF_COOKIE, token, max_age=SESSION_MAX_AGE, httponly=True,
                            samesite="lax", secure=secure(request, state))
    return response
