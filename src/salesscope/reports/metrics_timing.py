"""Time-based metrics of the catalogue: time to first contact (working hours) and time in stage.

First contact: each deal's first outgoing call, outgoing message or note by a person is
materialised at load time (``deal_progress.first_contact_at``), and so are the working seconds
from creation to it (``first_contact_work_s``, by the zone and working hours recorded in
``deal_progress_basis``): while those equal the current ones, the percentiles are one aggregate in
the engine. After a change of the working hours (until the next load) the cohort's (created,
first contact) pairs are fetched and measured with ``WorkingDay`` in NumPy instead, and the
percentiles taken there with linear interpolation — the same definition as the engines'
continuous percentiles. Time in stage is a median in the engine over the stays materialised at
load time (``deal_stage_stays``, in integer microseconds, shown in days). Percentiles are taken
over integers (seconds, microseconds) and divided afterwards: twice as fast as over fractions,
equal to the last bit or two. For all time without filters every part reads the rows stored at
load time (``metrics_queries``).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.reports.activity_cache import compiled_arrow, per_catalog, scope_key
from salesscope.reports.filters import Scope, deal_filter
from salesscope.reports.local_time import to_local_numpy
from salesscope.reports.metrics_deals import DAY_US, Value
from salesscope.reports.working_time import WorkingDay
from salesscope.warehouse.derived_worktime import DEAL_PROGRESS_BASIS, Basis
from salesscope.warehouse.store import Warehouse


def stored_hours_current(wh: Warehouse, scope: Scope) -> bool:
    """Whether ``deal_progress.first_contact_work_s`` was measured by the current zone and hours."""
    day = _working_day(wh)
    return _stored_basis(wh) == Basis(scope.timezone, day.start_s, day.end_s, day.lunch_start_s,
                                      day.lunch_end_s)


def _working_day(wh: Warehouse) -> WorkingDay:
    """The working hours, kept per catalog: reading the settings is a query (~1.5 ms), and any
    settings change drops the catalog."""
    return per_catalog(wh, "working day", lambda: WorkingDay.from_settings(wh))


def _stored_basis(wh: Warehouse) -> Basis | None:
    """What the stored working seconds were measured by (kept per catalog: a load rebuilds it)."""
    def read() -> Basis | None:
        rows = wh.rows(DEAL_PROGRESS_BASIS)
        if not rows:
            return None
        r = rows[0]
        return Basis(str(r["timezone"]), int(r["work_start_s"]), int(r["work_end_s"]),
                     int(r["lunch_start_s"]), int(r["lunch_end_s"]))
    return per_catalog(wh, "first contact basis", read)


def first_contact_values(wh: Warehouse, scope: Scope, parts: Mapping[str, pa.Table]
                         ) -> dict[str, list[Value]]:
    """Median and 90th percentile of working hours to first contact, and the deals not reached.

    ``parts`` holds the ``first_contact`` part when the stored working seconds are current
    (``metrics_queries.builds``); else they are measured here."""
    if "first_contact" in parts:
        return _stored_first_contact(parts["first_contact"])

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


def _stored_first_contact(part: pa.Table) -> dict[str, list[Value]]:
    """The first-contact values from the working seconds materialised at load time."""
    r = part.to_pylist()[0]
    total, contacted = int(r["total"]), int(r["contacted"])
    median, p90 = ((r["work_s"][0] / 3600.0, r["work_s"][1] / 3600.0)
                   if contacted and r["work_s"] is not None else (None, None))
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
    seconds = _working_day(wh).between_s(created, reached)
    return np.asarray(seconds, dtype=float) / 3600.0


def stage_time_values(wh: Warehouse, scope: Scope, parts: Mapping[str, pa.Table]
                      ) -> dict[str, list[Value]]:
    """Median days per open stage over the ended stays of the cohort's deals (``stays`` part)."""
    found = {r["stage_id"]: r for r in parts["stays"].to_pylist()}
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
        median = r["median_us"] / DAY_US if r and r["median_us"] is not None else None
        values.append(Value(median, int(r["stays"]) if r else 0, label))
    return {"time_in_stage_median_d": values}
