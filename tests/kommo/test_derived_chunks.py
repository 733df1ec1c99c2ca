"""The activity tables built a range of days at a time (to keep a sync's memory flat) hold exactly
the rows of one build in one statement, in the same stored order, on DuckDB and PostgreSQL."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kommo.fake_account import KommoAccount
from salesscope.warehouse import derived_activity
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
