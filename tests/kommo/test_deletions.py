"""Deletions in Kommo, on DuckDB and PostgreSQL: deleted tasks and leads leave the reports, the
work their authors did stays in the activity counts.

The expected numbers come from the fake's own records (its tasks list, its events), never from
the warehouse under test.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kommo.conftest import client_for
from kommo.fake_server import FakeKommo
from salesscope.connectors.kommo.ids import stage_key
from salesscope.connectors.kommo.sync import sync
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.warehouse.store import Warehouse

from conftest import postgres_url_or_skip

Synced = Callable[[FakeKommo], Warehouse]
SALES = 1001


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def synced(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Synced]:
    """Sync a fake into a fresh warehouse on the engine under test (kept open for the test)."""
    opened: list[tuple[Warehouse, str | None]] = []

    def sync_into(fake: FakeKommo) -> Warehouse:
        schema = None
        if request.param == "postgres":
            schema = f"salesscope_kommo_{uuid.uuid4().hex[:10]}"
            wh = Warehouse.postgres(postgres_url_or_skip(), schema)
        else:
            wh = Warehouse.open(tmp_path / f"w{len(opened)}.duckdb")
        opened.append((wh, schema))
        with client_for(fake) as client:
            sync(wh, client)
        return wh

    yield sync_into
    for wh, schema in opened:
        if schema is not None:
            wh.engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        wh.close()


def _by_manager(wh: Warehouse, report: str, **filters: Any) -> dict[int, dict[str, Any]]:
    rows = registry.run(wh, report, Filters(**filters)).rows
    return {int(r["manager_id"]): r for r in rows if r["row_kind"] == "manager"}


def _tasks_of(fake: FakeKommo, owner: int) -> tuple[int, int]:
    """(open, completed) tasks of ``owner`` in the fake's own tasks list."""
    mine = [t for t in fake.account.tasks.values() if t["responsible_user_id"] == owner]
    return sum(not t["is_completed"] for t in mine), sum(bool(t["is_completed"]) for t in mine)


def _task_events(fake: FakeKommo, author: int) -> tuple[int, int]:
    """(task_added, task_completed) events by ``author`` in the fake's audit log."""
    kinds = [e["type"] for e in fake.account.events.values() if e["created_by"] == author]
    return kinds.count("task_added"), kinds.count("task_completed")


def test_a_deleted_task_leaves_the_task_counts_but_its_actions_stay(
        start_fake: Callable[..., FakeKommo], synced: Synced) -> None:
    fake = start_fake()
    owner = max({t["responsible_user_id"] for t in fake.account.tasks.values()},
                key=lambda u: _tasks_of(fake, u)[0] * _tasks_of(fake, u)[1])
    open_task = next(t for t in fake.account.tasks.values()
                     if t["responsible_user_id"] == owner and not t["is_completed"] and t["created_by"] == owner)
    done_task = next(t for t in fake.account.tasks.values()
                     if t["responsible_user_id"] == owner and t["is_completed"])
    wh = synced(fake)
    before_open, before_done = _tasks_of(fake, owner)
    assert before_open >= 1 and before_done >= 1
    summary = _by_manager(wh, "summary")[owner]
    assert (summary["tasks_open"], summary["tasks_completed"]) == (before_open, before_done)
    employees = _by_manager(wh, "employees")[owner]
    assert (employees["tasks_created"], employees["tasks_completed"]) == _task_events(fake, owner)
    acts_before = _task_events(fake, owner)

    fake.delete_task(open_task["id"], by=owner)
    fake.delete_task(done_task["id"], by=owner)
    with client_for(fake) as client:
        sync(wh, client)

    tasks = {r[0]: r[1] for r in wh.engine.query(
        f'SELECT "id", "deleted" FROM tasks WHERE "id" IN ({open_task["id"]}, {done_task["id"]})')}
    assert tasks == {open_task["id"]: True, done_task["id"]: True}
    # The fake's list no longer holds them: one open and one completed task fewer.
    assert _tasks_of(fake, owner) == (before_open - 1, before_done - 1)
    summary = _by_manager(wh, "summary")[owner]
    assert (summary["tasks_open"], summary["tasks_completed"]) == (before_open - 1, before_done - 1)
    # The task_added and task_completed actions were done: they still count.
    employees = _by_manager(wh, "employees")[owner]
    assert (employees["tasks_created"], employees["tasks_completed"]) == acts_before
    kinds = [r[0] for r in wh.engine.query(
        f"SELECT kind FROM activities WHERE details LIKE '%task_deleted%' AND author_id = {owner}")]
    assert kinds == ["task_deleted", "task_deleted"]


def test_a_lead_deleted_before_the_first_sync_is_rebuilt_from_its_events(
        start_fake: Callable[..., FakeKommo], synced: Synced) -> None:
    """Its row (a tombstone) has what the audit log tells: pipeline and stage after its last move,
    creation time, the last person who moved it, when it closed; it is deleted, so the reports
    leave it out. The demo tables the fake was built from hold the true values."""
    fake = start_fake()
    deleted = set(fake.account.deleted_leads)
    assert len(deleted) >= 3
    wh = synced(fake)
    stages = {s["id"]: (s["pipeline_id"], s["crm_id"]) for s in fake.account.truth["stages"].to_pylist()}
    fields = ("pipeline_id", "created_at", "owner_id", "closed_at", "deleted")
    truth = {d["id"]: (*(d[f] for f in fields), stage_key(*stages[d["stage_id"]]))
             for d in fake.account.truth["deals"].to_pylist() if d["id"] in deleted}
    got = {d["id"]: (*(d[f] for f in fields), d["stage_id"])
           for d in wh.table("deals").to_pyarrow().to_pylist() if d["id"] in deleted}
    assert got == truth
    assert all(row[4] is True for row in got.values())
    progress = wh.table("deal_progress")
    assert progress.filter(progress.deal_id.isin(list(deleted)), ~progress.deleted).count().to_pyarrow().as_py() == 0


def test_moves_on_leads_deleted_before_the_first_sync_count_for_their_pipeline(
        start_fake: Callable[..., FakeKommo], synced: Synced) -> None:
    """Stage moves per person in the Sales pipeline, counted from the fake's own audit log: a lead's
    pipeline is the live lead's, or for a deleted one the demo deal's it was built from."""
    fake = start_fake()
    pipeline_of = {i: lead["pipeline_id"] for i, lead in fake.account.leads.items()}
    pipeline_of |= {d["id"]: d["pipeline_id"] for d in fake.account.truth["deals"].to_pylist() if d["deleted"]}
    expected: Counter[int] = Counter()
    on_deleted = 0
    for e in fake.account.events.values():
        if e["type"] == "lead_status_changed" and e["created_by"] and pipeline_of[e["entity_id"]] == SALES:
            expected[e["created_by"]] += 1
            on_deleted += e["entity_id"] in fake.account.deleted_leads
    assert on_deleted >= 5  # the case under test is present
    wh = synced(fake)
    rows = _by_manager(wh, "employees", pipelines=("Sales",))
    assert {m: r["stage_changes"] for m, r in rows.items() if r["stage_changes"]} == dict(expected)
