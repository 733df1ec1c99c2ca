"""What the numbers should be: the funnel and the calls, from the fake's own data.

The funnel truth is the funnel report run on the demo tables the fake was built from (deleted
deals left out, as in every report); the calls truth is counted straight from the fake's call
notes (who, when in Kyiv, which way, how long), with no warehouse involved.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from kommo.fake_account import KommoAccount
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.warehouse.store import Warehouse

KYIV = ZoneInfo("Europe/Kyiv")
FunnelKey = tuple[str, int, str]
CallKey = tuple[int, str]


def funnel_by_manager(wh: Warehouse) -> dict[FunnelKey, tuple[int, int, Decimal]]:
    """(pipeline, manager id, stage) → (reached, lost, lost_amount), over all time."""
    result = registry.run(wh, "funnel", Filters(by="manager"))
    return {(r["pipeline"], r["manager_id"], r["stage"]): (r["reached"], r["lost"], Decimal(str(r["lost_amount"])))
            for r in result.rows if r["row_kind"] == "manager"}


def calls_from_fake(account: KommoAccount) -> dict[CallKey, tuple[int, int, int, int]]:
    """(manager id, YYYY-MM in Kyiv) → (incoming, outgoing, total seconds, calls of ≥ 60 s)."""
    counts: Counter[tuple[CallKey, str]] = Counter()
    for notes in account.notes.values():
        for n in notes.values():
            month = dt.datetime.fromtimestamp(n["created_at"], KYIV).strftime("%Y-%m")
            key = (int(n["params"]["call_responsible"]), month)
            _add(counts, key, "in" if n["note_type"] == "call_in" else "out", int(n["params"]["duration"]))
    return _shape(counts)


def calls_from_warehouse(wh: Warehouse) -> dict[CallKey, tuple[int, int, int, int]]:
    counts: Counter[tuple[CallKey, str]] = Counter()
    for c in wh.table("calls").to_pyarrow().to_pylist():
        month = c["at"].replace(tzinfo=dt.UTC).astimezone(KYIV).strftime("%Y-%m")
        _add(counts, (c["author_id"], month), c["direction"], c["duration_s"])
    return _shape(counts)


def _add(counts: Counter[tuple[CallKey, str]], key: CallKey, direction: str, seconds: int) -> None:
    counts[(key, direction)] += 1
    counts[(key, "seconds")] += seconds
    counts[(key, "long")] += seconds >= 60


def _shape(counts: Counter[tuple[CallKey, str]]) -> dict[CallKey, tuple[int, int, int, int]]:
    keys = {k for k, _ in counts}
    return {k: (counts[(k, "in")], counts[(k, "out")], counts[(k, "seconds")], counts[(k, "long")]) for k in keys}


def canonical_rows(wh: Warehouse) -> dict[str, list[Any]]:
    """Every canonical table's rows in a stable order, sync bookkeeping left out."""
    names = ("account", "teams", "users", "pipelines", "stages", "contacts", "deals",
             "deal_stage_changes", "activities", "calls", "tasks")
    return {n: sorted(map(repr, wh.table(n).to_pyarrow().to_pylist())) for n in names}
