"""What the warehouse already holds that an import must match by name, not duplicate.

An imported owner called "Olena Koval" is the user already called so (from an earlier import or a
Kommo sync), whatever the case or spacing; only names never seen get new ids. The same goes for
teams, pipelines, stages (by pipeline and name) and contacts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ibis
import pyarrow as pa

from salesscope.connectors.files.ids import name_key
from salesscope.warehouse.store import Account, Warehouse


@dataclass(frozen=True)
class Existing:
    """Names already in the warehouse and the ids they stand for (lowest id on a tie)."""

    account: Account | None
    users: dict[int, dict[str, Any]]
    user_ids: dict[str, int]
    team_ids: dict[str, int]
    pipeline_ids: dict[str, int]
    pipeline_sort_max: int | None
    stages: dict[tuple[int, str], dict[str, Any]]  # (pipeline id, name key) -> row
    contact_ids: dict[str, int]


def _by_name(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: int(r["id"])):
        found.setdefault(name_key(str(row["name"])), int(row["id"]))
    return found


def read_existing(wh: Warehouse) -> Existing:
    """The warehouse's account, people, pipelines, stages and contact names."""
    catalog = wh.catalog()
    contacts = wh.table("contacts").select("id", "name").to_pyarrow().to_pylist()
    pipelines = catalog.pipelines
    return Existing(
        catalog.account,
        {int(r["id"]): dict(r) for r in catalog.users},
        _by_name(catalog.users),
        _by_name(catalog.teams),
        _by_name(pipelines),
        max((int(p["sort"]) for p in pipelines), default=None),
        {(int(s["pipeline_id"]), name_key(str(s["name"]))): dict(s)
         for s in sorted(catalog.stages, key=lambda s: -int(s["id"]))},
        _by_name(c for c in contacts if c["name"] is not None),
    )


def rows_by_id(wh: Warehouse, table: str, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The current rows of ``table`` whose ``id`` is among ``ids`` (one semi-join, any engine)."""
    wanted = pa.table({"id": pa.array(sorted(set(ids)), pa.int64())})
    if wanted.num_rows == 0:
        return {}
    current = wh.table(table)
    incoming = ibis.memtable(wanted)
    found = current.semi_join(incoming, current.id == incoming.id).to_pyarrow().to_pylist()
    return {int(r["id"]): r for r in found}
