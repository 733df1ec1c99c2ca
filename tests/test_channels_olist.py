"""Issue 6's "done when" on public data: the Olist marketing funnel imported through the deal import
(origin as the lead source), then ``channels --by source`` and the default ``--by channel``: leads
and won deals per origin equal the counts taken from the raw files, and the 60 blank origins are
"(none)", apart from the 1,099 literal "unknown" ones. Skipped when the dataset is absent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from salesscope.connectors.files import import_deals
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from test_import_public import FIXTURES, OLIST, needs_olist, olist_file, read_rows  # noqa: F401 (olist_file: fixture)

from conftest import WarehouseFactory


@needs_olist
@pytest.mark.parametrize("by", ["source", "channel"])
def test_leads_and_won_per_origin_equal_the_raw_files(
    make_warehouse: WarehouseFactory, olist_file: Path, by: str,  # noqa: F811 (the imported fixture)
) -> None:
    raw = read_rows(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    won_ids = {r["mql_id"] for r in read_rows(OLIST / "olist_closed_deals_dataset.csv")}
    leads = Counter(r["origin"].strip() or "(none)" for r in raw)
    won = Counter(r["origin"].strip() or "(none)" for r in raw if r["mql_id"] in won_ids)
    assert (leads["(none)"], leads["unknown"], sum(leads.values()), sum(won.values())) == (60, 1099, 8000, 842)

    wh = make_warehouse({})
    import_deals(wh, olist_file, FIXTURES / "olist_deals.toml")
    rows = registry.run(wh, "channels", Filters(by=by)).rows
    got = {r["channel"]: (r["leads"], r["won"]) for r in rows if r["row_kind"] == "channel"}
    assert got == {origin: (n, won[origin]) for origin, n in leads.items()}
    assert got["(none)"] == (60, won["(none)"]) and got["unknown"] == (1099, won["unknown"])
    total = rows[-1]
    assert (total["channel"], total["leads"], total["won"]) == ("All", 8000, 842)
    assert total["spend"] == 0 and total["roi"] is None  # no spend imported: ROI is not 0 or inf
