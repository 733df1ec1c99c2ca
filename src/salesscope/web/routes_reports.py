"""The pages: overview, one page per registered report, and the deal list behind every number.

Each report page and the deal list answer at three paths: ``/reports/funnel`` (HTML),
``/reports/funnel.json`` and ``/reports/funnel.csv`` — the same filters from the same query string,
the same numbers (the JSON is ``salesscope.formats.to_json``, as the CLI's ``--format json``).
Role limits are applied to the Filters before any report runs (``auth.access.restrict``), and
rows naming someone the viewer may not see are dropped after (``visible_rows``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Hashable
from typing import TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from salesscope import formats
from salesscope.auth.access import Viewer, restrict, viewer_for, visible_rows
from salesscope.auth.users import WebUser
from salesscope.reports import drill, registry
from salesscope.reports.deal_list import deal_list, select_deals
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, resolve
from salesscope.reports.result import ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.web import charts, overview
from salesscope.web.cells import CellFormatter
from salesscope.web.errors import NotFound
from salesscope.web.i18n import Translator
from salesscope.web.pages import fragment, locale_of, render
from salesscope.web.query import encode, filters_from_query, present
from salesscope.web.routes_session import require_user
from salesscope.web.state import WebState, web_state
from salesscope.web.tables import deal_link, table_view

router = APIRouter()
log = logging.getLogger("salesscope.web")

HTML_ROWS = 500
"""Rows a page shows; the ``.csv``/``.json`` twin has them all."""
FORMATS = ("json", "csv")
T = TypeVar("T")


def split_format(name: str) -> tuple[str, str | None]:
    """``funnel.json`` → (``funnel``, ``json``); a plain name is the HTML page."""
    base, dot, suffix = name.rpartition(".")
    if dot and suffix in FORMATS:
        return base, suffix
    return name, None


def data_body(result: ReportResult, fmt: str) -> str:
    return formats.to_json(result) if fmt == "json" else formats.to_csv(result)


def data_response(body: str, fmt: str, report: str) -> Response:
    if fmt == "json":
        return Response(body, media_type="application/json")
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{report}.csv"'})


def cached(state: WebState, key: Hashable, compute: Callable[[], T]) -> T:
    """Anything derived from the warehouse, kept until it changes (``Runtime.cache``)."""
    return state.runtime.cache.get_or_compute(state.runtime.warehouse, key, compute)


def run_report(state: WebState, spec: ReportSpec, filters: Filters) -> ReportResult:
    """A report through the result cache (valid until the warehouse changes)."""
    return cached(state, ("report", spec.name, filters), lambda: spec.run(state.runtime.warehouse, filters))


def empty(state: WebState) -> bool:
    return state.runtime.warehouse.catalog().account is None


def viewer_of(state: WebState, user: WebUser) -> Viewer:
    return viewer_for(user, state.runtime.warehouse)


def today_of(state: WebState) -> dt.date:
    """The data's "today": the local date of the last finished load (wall clock when none)."""
    wh = state.runtime.warehouse
    account = wh.catalog().account
    zone = ZoneInfo(account.timezone if account else "UTC")
    as_of = wh.data_as_of()
    moment = as_of.replace(tzinfo=dt.UTC) if as_of else dt.datetime.now(dt.UTC)
    return moment.astimezone(zone).date()


@router.get("/")
def overview_page(request: Request) -> Response:
    user = require_user(request)
    state = web_state(request)
    if empty(state):
        return render(request, "empty.html", user)
    viewer = viewer_of(state, user)
    return render(request, "overview.html", user, view=build_overview(state, viewer), viewer=viewer,
                  usual_weeks=overview.USUAL_WEEKS)


def build_overview(state: WebState, viewer: Viewer) -> overview.Overview:
    """The overview's numbers for a viewer, from the cached reports (one build per data version)."""
    wh = state.runtime.warehouse
    base = restrict(Filters(), viewer, wh)

    def run(name: str, filters: Filters) -> ReportResult:
        spec = registry.get(name)
        full = dataclasses.replace(filters, options=tuple(sorted(spec.with_defaults({}).items())))
        return visible_rows(run_report(state, spec, full), viewer, wh)

    today = today_of(state)
    return cached(state, ("overview", base, viewer.owner_ids, today), lambda: overview.build(run, base, today))


def warm(state: WebState) -> None:
    """Build the head's overview ahead of the first visitor (after start-up and every write)."""
    try:
        if not empty(state):
            build_overview(state, Viewer(WebUser("(warm-up)", "head"), None))
    except Exception:  # a warm-up is an optimisation; the page reports its own errors
        log.exception("overview warm-up failed")


@router.get("/reports")
def report_index(request: Request) -> Response:
    user = require_user(request)
    return render(request, "reports.html", user)


@router.get("/reports/{name}")
def report_page(request: Request, name: str) -> Response:
    user = require_user(request)
    state = web_state(request)
    base, fmt = split_format(name)
    try:
        spec = registry.get(base)
    except FilterError as exc:
        raise NotFound(str(exc)) from None
    if empty(state) and fmt is None:
        return render(request, "empty.html", user)
    wh = state.runtime.warehouse
    viewer = viewer_of(state, user)
    asked = filters_from_query(request.query_params.multi_items(), spec)
    filters = restrict(asked, viewer, wh)
    seen = ("visible", spec.name, filters, viewer.owner_ids)

    def result() -> ReportResult:
        return cached(state, seen, lambda: visible_rows(run_report(state, spec, filters), viewer, wh))

    if fmt is not None:
        body = cached(state, (*seen, fmt), lambda: data_body(result(), fmt))
        return data_response(body, fmt, spec.name)
    locale = locale_of(request, user)
    shown = result()
    html = cached(state, (*seen, "html", locale), lambda: _report_body(state, spec, shown, locale))
    query = encode(present(request.query_params.multi_items()))
    return render(request, "report.html", user, spec=spec, result=shown, body=html, query=query,
                  choices=_choices(state, viewer), filters=filters, viewer=viewer)


def _formatter(state: WebState, locale: str) -> tuple[Translator, CellFormatter]:
    t = Translator(locale)
    account = state.runtime.warehouse.catalog().account
    return t, CellFormatter(locale, account.timezone if account else "UTC", t("yes"), t("no"))


def _report_body(state: WebState, spec: ReportSpec, result: ReportResult, locale: str) -> Markup:
    """Charts and table of a result in one locale: rendered once, then served from the cache."""
    t, fmt = _formatter(state, locale)

    def link(row: dict[str, object], column: str) -> str | None:
        return deal_link(result.report, dict(row), column)

    figures = (charts.funnel_figures(result, link, t, fmt) if spec.name == "funnel"
               else charts.generic_figures(spec, result, link, t))
    return fragment("_report_body.html", t=t, figures=figures, result=result,
                    table=table_view(result, t, fmt, limit=HTML_ROWS))


def _choices(state: WebState, viewer: Viewer) -> dict[str, list[str]]:
    """What the filter form offers: pipelines, and the managers and teams this viewer may see."""
    wh = state.runtime.warehouse
    scope = resolve(wh, Filters())
    people = sorted((p for p in scope.people.values()
                     if viewer.owner_ids is None or p.id in viewer.owner_ids), key=lambda p: p.name)
    teams = sorted({p.team for p in people if p.team})
    return {"pipelines": list(scope.pipeline_names.values()), "managers": [p.name for p in people],
            "teams": teams}


@router.get("/deals")
def deals_html(request: Request) -> Response:
    return _deals(request, None)


@router.get("/deals.{fmt}")
def deals_data(request: Request, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    return _deals(request, fmt)


def _deals(request: Request, fmt: str | None) -> Response:
    user = require_user(request)
    state = web_state(request)
    if empty(state) and fmt is None:
        return render(request, "empty.html", user)
    wh = state.runtime.warehouse
    viewer = viewer_of(state, user)
    pairs = present(request.query_params.multi_items())
    asked, options = drill.parse(encode(pairs))
    filters = restrict(asked, viewer, wh)
    if fmt is not None:
        key = ("deals", filters, options, viewer.owner_ids, fmt)
        text = cached(state, key, lambda: data_body(visible_rows(deal_list(wh, filters, options), viewer, wh),
                                                     fmt))
        return data_response(text, fmt, "deals")
    shown = options if options.limit else dataclasses.replace(options, limit=HTML_ROWS)
    result = cached(state, ("deals", filters, shown, viewer.owner_ids),
                    lambda: visible_rows(deal_list(wh, filters, shown), viewer, wh))
    total = cached(state, ("deals-total", filters, options), lambda: int(
        select_deals(wh, resolve(wh, filters), options).count().to_pyarrow().as_py()))
    locale = locale_of(request, user)

    def table_html() -> Markup:
        t, cells = _formatter(state, locale)
        return fragment("_table.html", t=t, table=table_view(result, t, cells, limit=HTML_ROWS))

    html = cached(state, ("deals", filters, shown, viewer.owner_ids, "html", locale), table_html)
    return render(request, "deals.html", user, result=result, body=html, total=total,
                  query=encode(pairs), drill_pairs=_readable(state, filters, pairs))


def _readable(state: WebState, filters: Filters, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The deal list's query as a person reads it: ids replaced by names."""
    wh = state.runtime.warehouse
    scope = resolve(wh, filters)
    stages = {str(s["id"]): str(s["name"]) for s in wh.catalog().stages}
    teams = {str(t["id"]): str(t["name"]) for t in wh.catalog().teams}
    names = {
        "pipeline": {str(i): n for i, n in scope.pipeline_names.items()},
        "manager": {str(i): p.name for i, p in scope.people.items()},
        "stage": stages, "team": teams,
    }
    shown = [(k, names.get(k, {}).get(v, v)) for k, v in pairs]
    if filters.managers and not any(k == "manager" for k, _ in pairs):
        shown += [("manager", m) for m in filters.managers]
    return shown


@router.get("/reports/")
def reports_slash() -> Response:
    return RedirectResponse("/reports", status_code=308)
