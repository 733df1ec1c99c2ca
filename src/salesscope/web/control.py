"""The local control API: how CLI commands use the warehouse while ``serve`` holds it.

Only for this machine: every call needs the token from the server note (a 0600 file in
``$SALESSCOPE_HOME/run``) and must come from a loopback address. ``report`` runs a report in the
server and answers Arrow IPC (``wire``), as ``deals`` does for a deal list; ``status`` gives row
counts, sync state and jobs; ``jobs`` runs a scheduled job (``sync``) now, in the server, under its
writer lock; ``settings`` and ``goals`` list, set and import what ``salesscope settings`` and
``salesscope goals`` do, the writes under the same lock (so the pages show them at once).
Bad input answers 400 with the one line a local run would print.
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from salesscope.cli.goals_commands import goals_result, import_goals_file, set_goals
from salesscope.cli.settings_commands import apply_setting, settings_result
from salesscope.goals_store import GoalError
from salesscope.reports import registry
from salesscope.reports.deal_list import deal_list
from salesscope.reports.errors import FilterError
from salesscope.settings import SettingError
from salesscope.warehouse.schema import TABLES
from salesscope.web.jobs import JobBusy
from salesscope.web.routes_reports import run_report
from salesscope.web.state import WebState, web_state
from salesscope.web.wire import filters_from_json, options_from_json, result_to_ipc

router = APIRouter(prefix="/_control")
IPC_TYPE = "application/vnd.apache.arrow.stream"
BAD_INPUT = (FilterError, GoalError, SettingError)
"""What a caller can get wrong: answered 400 with the message, never stored."""


def _refused(exc: Exception) -> JSONResponse:
    return JSONResponse({"error": str(exc), "kind": "input"}, status_code=400)


class ControlDenied(Exception):
    """Not a local caller with the server's token."""


def _check(request: Request) -> WebState:
    state = web_state(request)
    token = state.control_token
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if token is None or not local or not hmac.compare_digest(given, token):
        raise ControlDenied()
    return state


@router.get("/ping")
def ping(request: Request) -> dict[str, Any]:
    state = _check(request)
    return {"ok": True, "warehouse": state.runtime.warehouse.location}


@router.post("/report/{name}")
async def report(request: Request, name: str) -> Response:
    state = _check(request)
    doc = await request.json()
    try:
        spec = registry.get(name)
        filters = filters_from_json(doc)
        result = await run_in_threadpool(run_report, state, spec, filters)
    except FilterError as exc:
        return JSONResponse({"error": str(exc), "kind": "filter"}, status_code=400)
    return Response(result_to_ipc(result), media_type=IPC_TYPE)


@router.post("/deals")
async def deals(request: Request) -> Response:
    state = _check(request)
    doc = await request.json()
    try:
        filters = filters_from_json(doc["filters"])
        options = options_from_json(doc["options"])
        result = await run_in_threadpool(deal_list, state.runtime.warehouse, filters, options)
    except FilterError as exc:
        return JSONResponse({"error": str(exc), "kind": "filter"}, status_code=400)
    return Response(result_to_ipc(result), media_type=IPC_TYPE)


@router.get("/people")
def people(request: Request) -> dict[str, list[str]]:
    """CRM managers and teams, so ``users add`` can check --manager/--team while we hold the file."""
    state = _check(request)
    catalog = state.runtime.warehouse.catalog()
    return {"managers": sorted(str(u["name"]) for u in catalog.users),
            "teams": sorted(str(t["name"]) for t in catalog.teams)}


@router.get("/status")
def status(request: Request) -> dict[str, Any]:
    """What ``salesscope status`` shows, read by the server: counts, sync state, jobs."""
    state = _check(request)
    return warehouse_status(state)


def warehouse_status(state: WebState) -> dict[str, Any]:
    wh = state.runtime.warehouse
    as_of = wh.data_as_of()
    sync_rows = [{k: (v.isoformat() + "Z" if hasattr(v, "isoformat") else v) for k, v in r.items()}
                 for r in wh.rows("sync_state")]
    return {
        "warehouse": wh.location,
        "data_as_of": as_of.isoformat() + "Z" if as_of else None,
        "tables": {t.name: int(wh.table(t.name).count().to_pyarrow().as_py()) for t in TABLES},
        "sync_state": sync_rows,
        "jobs": state.jobs.describe(),
    }


@router.get("/refresh")
def refresh(request: Request) -> dict[str, Any]:
    """Whether the server is computing recently used results again after a write (benchmarks
    wait for it), and how many it has computed ahead since it started."""
    state = _check(request)
    refresher = state.runtime.refresher
    return {"busy": refresher.busy, "refreshed": refresher.refreshed}


@router.post("/jobs/{name}")
def run_job(request: Request, name: str) -> Response:
    state = _check(request)
    try:
        job_state = state.jobs.run_now(name)
    except KeyError as exc:
        return JSONResponse({"error": str(exc.args[0])}, status_code=404)
    except JobBusy as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    if job_state.ok:
        return JSONResponse(job_state.describe())
    return JSONResponse({**job_state.describe(), "error": f"{name} failed: {job_state.message}"},
                        status_code=500)


@router.get("/settings")
async def settings_list(request: Request) -> Response:
    state = _check(request)
    result = await run_in_threadpool(settings_result, state.runtime.warehouse)
    return Response(result_to_ipc(result), media_type=IPC_TYPE)


@router.post("/settings")
async def settings_set(request: Request) -> Response:
    state = _check(request)
    doc = await request.json()
    name, value = str(doc["name"]), str(doc["value"])
    try:
        stored = await run_in_threadpool(state.runtime.write, lambda wh: apply_setting(wh, name, value))
    except BAD_INPUT as exc:
        return _refused(exc)
    return JSONResponse({"name": name, "value": stored})


@router.post("/goals/list")
async def goals_list(request: Request) -> Response:
    state = _check(request)
    doc = await request.json()
    try:
        result = await run_in_threadpool(goals_result, state.runtime.warehouse, doc.get("period"))
    except BAD_INPUT as exc:
        return _refused(exc)
    return Response(result_to_ipc(result), media_type=IPC_TYPE)


@router.post("/goals")
async def goals_set(request: Request) -> Response:
    state = _check(request)
    doc = await request.json()
    scope, name, period = str(doc["scope"]), str(doc["name"]), str(doc["period"])
    targets = [(str(metric), str(target)) for metric, target in doc["targets"]]
    try:
        rows = await run_in_threadpool(state.runtime.write,
                                       lambda wh: set_goals(wh, scope, name, period, targets))
    except BAD_INPUT as exc:
        return _refused(exc)
    return JSONResponse({"goals": rows})


@router.post("/goals/import")
async def goals_import(request: Request) -> Response:
    """Import a goals CSV the caller names by absolute path (the caller is this machine's user)."""
    state = _check(request)
    path = Path(str((await request.json())["path"]))
    try:
        count, changed = await run_in_threadpool(state.runtime.write, lambda wh: import_goals_file(wh, path))
    except BAD_INPUT as exc:
        return _refused(exc)
    return JSONResponse({"count": count, "changed": changed})
