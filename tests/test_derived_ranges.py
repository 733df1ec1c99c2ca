"""The ranged build of the activity tables never runs a range of no rows.

DuckDB 1.5 (measured with 1.5.6): inside a transaction, an ``INSERT … ORDER BY`` of no rows into a
table hides every later insert of more than a row group into it from the same connection — even
after COMMIT, until it reconnects. The large demo hit it: its first activity falls at 22:00 UTC on
31 March (1 April in Kyiv), so a range of UTC months cut at local days was empty, and the event
list, worktime and employee reports read empty tables. Ranges are now local months.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from salesscope.warehouse import derived_activity
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory

ROWS = 130_000
"""More than a DuckDB row group (122,880 rows): the size at which the hidden insert showed."""


def _account(zone: str) -> pa.Table:
    return pa.table({"id": [1], "name": ["Ranges"], "currency": ["UAH"], "timezone": [zone],
                     "crm": ["demo"], "subdomain": ["ranges"], "base_url": [None]})


def _notes(start: dt.datetime, n: int, first_id: int = 1) -> pa.Table:
    """``n`` notes by user 1, ten seconds apart from ``start`` (UTC)."""
    return pa.table({
        "id": pa.array(range(first_id, first_id + n), pa.int64()),
        "kind": ["note"] * n,
        "at": pa.array([start + dt.timedelta(seconds=10 * i) for i in range(n)], pa.timestamp("us")),
        "author_id": pa.array([1] * n, pa.int64()),
        "deal_id": pa.nulls(n, pa.int64()),
        "contact_id": pa.nulls(n, pa.int64()),
        "details": pa.nulls(n, pa.string()),
    })


def _late_march_then_april() -> pa.Table:
    """Ten notes on 31 March 22:00 UTC (1 April in Kyiv), then ROWS more from 2 April on (15 days)."""
    return pa.concat_tables([_notes(dt.datetime(2025, 3, 31, 22, 0), 10),
                             _notes(dt.datetime(2025, 4, 2), ROWS, first_id=11)])


@pytest.mark.parametrize("engine_name", ["duckdb"])
def test_local_month_ranges_are_never_empty(make_warehouse: WarehouseFactory,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    wh = make_warehouse({"account": _account("Europe/Kyiv"), "activities": _late_march_then_april()})
    monkeypatch.setattr(derived_activity, "CHUNK_ROWS", 5)
    utc = derived_activity.day_ranges(wh.engine, ("activities",))
    assert utc[0] == (None, dt.date(2025, 4, 1))  # March in UTC: no local day of it has a row
    local = derived_activity.day_ranges(wh.engine, ("activities",), local=True)
    assert local == [(None, None)]  # all of it in April, local
    wh.refresh_derived()
    _assert_complete(wh)


def test_a_ranged_build_in_one_transaction_reads_every_row(make_warehouse: WarehouseFactory,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Built in ranges inside one transaction, as a sync's refresh does: the day tables made from
    ``activity_facts`` see all of it, and so does the same connection afterwards."""
    monkeypatch.setattr(derived_activity, "CHUNK_ROWS", 5)
    wh = make_warehouse({"account": _account("Europe/Kyiv"), "activities": _late_march_then_april()})
    _assert_complete(wh)


def _assert_complete(wh: Warehouse) -> None:
    total = ROWS + 10
    assert wh.engine.query("SELECT count(*) FROM activity_facts") == [(total,)]
    days = wh.engine.query("SELECT min(day), sum(actions) FROM activity_days")
    assert days == [(dt.date(2025, 4, 1), total)]
    counted = wh.engine.query("SELECT sum(actions) FROM activity_day_counts")
    assert counted == [(total,)]
