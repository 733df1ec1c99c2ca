"""The local control API: how CLI commands use the warehouse while ``serve`` holds it.

Only for this machine: every call needs the token from the server note (a 0600 file in
``$SALESSCOPE_HOME/run``) and must come from a loopback address. ``report`` runs a report in the
server and answers Arrow IPC (``wire``); ``status`` gives row counts, sync state and jobs; ``jobs``
runs a scheduled job (``sync``) now, in the server, under its writer lock.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from salesscope.reports import registry
from salesscope.reports.deal_list import deal_list
from salesscope.reports.errors import FilterError
from salesscope.warehouse.schema import TABLES
from salesscope.web.jobs import JobBusy
from salesscope.web.routes_reports import run_report
from salesscope.web.state import WebState, web_state
from salesscope.web.wire import filters_from_json, options_from_json, result_to_ipc

router = APIRouter(prefix="/_control")
IPC_TYPE = "application/vnd.apache.arrow.stream"


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
