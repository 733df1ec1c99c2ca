"""The activity tables built a range of days at a time (to keep a sync's memory flat) hold exactly
the rows of one build in one statement, in the same stored order, on DuckDB and PostgreSQL."""

from __future__ import annotations

import itertools
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from kommo.fake_account import KommoAccount
from salesscope.warehouse import derived, derived_activity
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory

BUILT_BY_RANGES = (derived_activity.ACTIVITY_FACTS, derived_activity.CALL_FACTS)
"""Their sort keys end with the id: their stored order is one order (the aggregates' keys tie)."""


def _stored(wh: Warehouse, table: str) -> list[Any]:
    rows = [tuple(r) for r in wh.engine.query(f"SELECT * FROM {table}")]  # the stored order
    if wh.engine.name == "duckdb" and table in BUILT_BY_RANGES:
        return rows
    return sorted(rows, key=repr)  # a PostgreSQL heap keeps no order


def test_a_build_by_day_ranges_equals_one_statement(make_warehouse: WarehouseFactory, kommo_account: KommoAccount,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    wh = make_warehouse(kommo_account.truth)  # a small account: one statement per table
    assert derived_activity.day_ranges(wh.engine, ("activities", "deal_stage_changes")) == [(None, None)]
    whole = {t: _stored(wh, t) for t in derived_activity.TABLE_COLUMNS}
    assert len(whole["activity_facts"]) > 5_000 and len(whole["call_facts"]) > 1_000

    monkeypatch.setattr(derived_activity, "CHUNK_ROWS", 400)
    ranges = derived_activity.day_ranges(wh.engine, ("activities", "deal_stage_changes"))
    assert len(ranges) > 10 and ranges[0][0] is None and ranges[-1][1] is None
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # consecutive, no gap
    wh.refresh_derived()
    assert {t: _stored(wh, t) for t in derived_activity.TABLE_COLUMNS} == whole



def _repeat_buyers(truth: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The account with its won deals' contacts paired across time: the i-th won deal of the later
    half (by creation) gets the contact of the i-th of the earlier half, so ~50 contacts have two
    wins months apart (contact_wins = 2), in different creation ranges of the ranged build."""
    deals, stages = truth["deals"], truth["stages"]
    won_ids = set(pc.filter(stages["id"], pc.equal(stages["kind"], "won")).to_pylist())
    rows = deals.to_pylist()
    won = sorted((i for i, r in enumerate(rows) if r["stage_id"] in won_ids and not r["deleted"]
                  and r["contact_id"] is not None), key=lambda i: (rows[i]["created_at"], rows[i]["id"]))
    half = len(won) // 2
    contacts = deals["contact_id"].to_pylist()
    for early, late in zip(won[:half], won[half:2 * half], strict=True):
        contacts[late] = contacts[early]
    column = deals.schema.get_field_index("contact_id")
    paired = pa.array(contacts, deals["contact_id"].type)
    return {**truth, "deals": deals.set_column(column, deals.schema.field(column), paired)}


def test_deal_progress_by_created_ranges_equals_one_statement(
        make_warehouse: WarehouseFactory, kommo_account: KommoAccount, monkeypatch: pytest.MonkeyPatch) -> None:
    """deal_progress built a range of creation months at a time: the same rows, still in created_at order.

    A contact's wins count every deal, not only its range's: the account has repeat buyers whose
    wins lie months apart (``_repeat_buyers``).
    """
    wh = make_warehouse(_repeat_buyers(kommo_account.truth))
    monkeypatch.setattr(derived, "DEAL_CHUNK_ROWS", 1_000_000)
    wh.refresh_derived()  # one statement
    assert derived_activity.day_ranges(wh.engine, ("deals",), "created_at", 1_000_000) == [(None, None)]
    whole = _stored(wh, derived.DEAL_PROGRESS)
    wins = list(derived.DEAL_PROGRESS_COLUMNS).index("contact_wins")
    assert len(whole) > 500 and sum(1 for r in whole if r[wins] == 2) >= 100  # both deals of ~50 pairs

    monkeypatch.setattr(derived, "DEAL_CHUNK_ROWS", 100)
    ranges = derived_activity.day_ranges(wh.engine, ("deals",), "created_at", 100)
    assert len(ranges) > 5 and ranges[0][0] is None and ranges[-1][1] is None
    wh.refresh_derived()
    assert _stored(wh, derived.DEAL_PROGRESS) == whole
    if wh.engine.name == "duckdb":  # stored in creation order, across ranges
        created = [r[0] for r in wh.engine.query(f"SELECT created_at FROM {derived.DEAL_PROGRESS}")]
        assert created == sorted(created)
