"""Small reference tables: account, teams, users, pipelines, stages, settings, sync state."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from salesscope.demo import catalog, people
from salesscope.demo.clock import TIMEZONE
from salesscope.demo.roster import Roster

SETTINGS = {"overload_limit": "60"}
"""The guide's agency limit of open deals per manager (seed-examples.md, case 2)."""


def account_table() -> pa.Table:
    return pa.table({
        "id": pa.array([catalog.ACCOUNT_ID], pa.int64()),
        "name": [catalog.ACCOUNT_NAME],
        "currency": [catalog.CURRENCY],
        "timezone": [TIMEZONE],
        "crm": [catalog.CRM],
        "subdomain": [catalog.SUBDOMAIN],
        "base_url": pa.array([None], pa.string()),
    })


def teams_table(roster: Roster) -> pa.Table:
    return pa.table({
        "id": pa.array([t.id for t in roster.teams], pa.int64()),
        "name": pa.array([t.name for t in roster.teams], pa.string()),
    })


def users_table(roster: Roster) -> pa.Table:
    staff = (people.TETIANA, *roster.managers)
    return pa.table({
        "id": pa.array([p.id for p in staff], pa.int64()),
        "name": pa.array([p.name for p in staff], pa.string()),
        "email": pa.array([p.email for p in staff], pa.string()),
        "team_id": pa.array([p.team_id for p in staff], pa.int64()),
        "role": pa.array([p.role for p in staff], pa.string()),
        "active": pa.array([p.active for p in staff], pa.bool_()),
    })


def pipelines_table() -> pa.Table:
    ps = catalog.PIPELINES
    return pa.table({
        "id": pa.array([p.id for p in ps], pa.int64()),
        "name": pa.array([p.name for p in ps], pa.string()),
        "sort": pa.array([p.sort for p in ps], pa.int32()),
        "is_main": pa.array([p.is_main for p in ps], pa.bool_()),
        "archived": pa.array([False for _ in ps], pa.bool_()),
    })


def stages_table() -> pa.Table:
    rows = [(p.id, s) for p in catalog.PIPELINES for s in p.stages]
    return pa.table({
        "id": pa.array([s.id for _, s in rows], pa.int64()),
        "pipeline_id": pa.array([pid for pid, _ in rows], pa.int64()),
        "crm_id": pa.array([s.crm_id for _, s in rows], pa.int64()),
        "name": pa.array([s.name for _, s in rows], pa.string()),
        "sort": pa.array([s.sort for _, s in rows], pa.int32()),
        "kind": pa.array([s.kind for _, s in rows], pa.string()),
    })


def settings_table() -> pa.Table:
    return pa.table({
        "name": pa.array(list(SETTINGS), pa.string()),
        "value": pa.array(list(SETTINGS.values()), pa.string()),
    })


def sync_state_table(finished_at_utc: dt.datetime, rows: int) -> pa.Table:
    """The demo build as one finished sync: data is fresh as of ``finished_at_utc``."""
    at = pa.array([finished_at_utc], pa.timestamp("us"))
    return pa.table({
        "source": ["demo"],
        "entity": ["all"],
        "cursor": pa.array([None], pa.string()),
        "started_at": at,
        "finished_at": at,
        "rows": pa.array([rows], pa.int64()),
    })
