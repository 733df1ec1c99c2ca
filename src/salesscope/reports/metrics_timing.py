"""Time-based metrics of the catalogue: time to first contact (working hours) and time in stage.

First contact: each deal's first outgoing call, outgoing message or note by a person is
materialised at load time (``deal_progress.first_contact_at``); working hours between creation
and that moment need the account's calendar, so the cohort's (created, first contact) pairs are
fetched and measured with ``WorkingDay`` in NumPy, and the
percentiles taken there with linear interpolation — the same definition as the engines'
continuous percentiles. Time in stage is a median in the engine over the stays materialised at
load time (``deal_stage_stays``).
"""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.reports.activity_cache import compiled_arrow, scope_key
from salesscope.reports.filters import Scope, deal_filter
from salesscope.reports.local_time import to_local_numpy
from salesscope.reports.metrics_deals import Value
from salesscope.reports.working_time import WorkingDay
from salesscope.warehouse.store import Warehouse


def first_contact_values(wh: Warehouse, scope: Scope) -> dict[str, list[Value]]:
    """Median and 90th percentile of working hours to first contact, and the deals not reached."""
    def cohort() -> ir.Table:
        return deal_filter(wh.table("deal_progress"), scope).select("created_at", first_at="first_contact_at")

    pairs = compiled_arrow(wh, ("metrics first contact", scope_key(scope)), cohort)
    # one row per cohort deal; first_at empty when never contacted
    total = pairs.num_rows
    hours = _working_hours(wh, scope, pairs.filter(pc.is_valid(pairs["first_at"])))
    contacted = len(hours)
    median, p90 = (np.percentile(hours, [50, 90]).tolist() if contacted else (None, None))
    return {
        "first_contact_median_h": [Value(median, contacted)],
        "first_contact_p90_h": [Value(p90, contacted)],
        "first_contact_missing": [Value(float(total - contacted), total)],
    }


def _working_hours(wh: Warehouse, scope: Scope, pairs: pa.Table) -> np.ndarray:
    """Working hours from creation to first contact, one per contacted deal."""
    if pairs.num_rows == 0:
        return np.array([], dtype=float)
    created = to_local_numpy(pairs["created_at"], scope.timezone)
    reached = to_local_numpy(pairs["first_at"], scope.timezone)
    seconds = WorkingDay.from_settings(wh).between_s(created, reached)
    return np.asarray(seconds, dtype=float) / 3600.0


def stage_time_values(wh: Warehouse, scope: Scope) -> dict[str, list[Value]]:
    """Median days per open stage over the ended stays of the cohort's deals."""
    def per_stage() -> ir.Table:
        stays = deal_filter(wh.table("deal_stage_stays"), scope)
        return stays.group_by("stage_id").aggregate(median=stays.days.median(), stays=stays.count())

    found = {r["stage_id"]: r for r in compiled_arrow(wh, ("metrics stays", scope_key(scope)), per_stage).to_pylist()}
    pipelines = dict(scope.pipeline_names)
    values = []
    for stage in sorted(wh.catalog().stages, key=lambda s: (list(pipelines).index(s["pipeline_id"])
                                                              if s["pipeline_id"] in pipelines else 99,
                                                              s["sort"])):
        if stage["kind"] != "open" or (scope.pipeline_ids is not None
                                       and stage["pipeline_id"] not in scope.pipeline_ids):
            continue
        r = found.get(stage["id"])
        label = f"{pipelines.get(stage['pipeline_id'], stage['pipeline_id'])}: {stage['name']}"
        values.append(Value(r["median"] if r else None, int(r["stays"]) if r else 0, label))
    return {"time_in_stage_median_d": values}
