"""``deal_progress.channel`` is the deal's own channel exactly as ``attribution.own_channel``
computes it from ``deals`` (trimmed utm_source, else trimmed source, else ``(none)``), on DuckDB
and PostgreSQL — reports group by the stored column instead of trimming every deal's UTM."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyarrow as pa
import pytest

from salesscope.warehouse.attribution import own_channel
from salesscope.warehouse.store import Warehouse

from fixtures.metrics import account
from fixtures.summary.engines import ENGINES, shared_warehouse

# deal -> (utm_source, source): blanks, padding and a literal "unknown" over the metrics fixture
EDGES: dict[int, tuple[str | None, str | None]] = {
    3: ("  ", "phone"), 4: ("", " "), 6: (" google ", None), 11: (None, "\tchat "),
    9: ("unknown", "chat"),
}
EXPECTED = {1: "google", 2: "google", 3: "phone", 4: "(none)", 5: "facebook", 6: "google",
            7: "referral", 8: "google", 9: "unknown", 10: "google", 11: "chat"}


def _tables() -> Mapping[str, pa.Table]:
    tables = dict(account.tables())
    deals = tables["deals"].to_pylist()
    for row in deals:
        if row["id"] in EDGES:
            row["utm_source"], row["source"] = EDGES[row["id"]]
    tables["deals"] = pa.Table.from_pylist(deals, schema=tables["deals"].schema)
    return tables


@pytest.fixture(scope="module", params=ENGINES)
def wh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from shared_warehouse(request, tmp_path_factory, _tables)


def test_stored_channel_is_the_own_channel_of_the_deal(wh: Warehouse) -> None:
    stored = {r["deal_id"]: r["channel"] for r in wh.table("deal_progress")
              .select("deal_id", "channel").to_pyarrow().to_pylist()}
    deals = wh.table("deals")
    computed = {r["id"]: r["channel"] for r in deals.select("id", channel=own_channel(deals, "channel"))
                .to_pyarrow().to_pylist()}
    assert stored == computed == EXPECTED
