"""The potential report's counting per channel: the funnel's counts with the channel as segment.

Per manager the funnel's own ``cohort_counts`` is used unchanged. Per channel the segment is an
expression (``attribution.own_channel``: utm_source, else the CRM source, else ``(none)``), not a
column of ``deal_progress``, so the same one-scan aggregate is written here with it added, and
spread over the stages by the funnel's own code.
"""

from __future__ import annotations

from salesscope.reports.filters import Scope, deal_filter
from salesscope.reports.funnel_counts import CohortCounts, _per_stage, stages_by_pipeline
from salesscope.warehouse.attribution import own_channel
from salesscope.warehouse.store import Warehouse

CHANNEL = "channel"


def channel_counts(wh: Warehouse, scope: Scope) -> CohortCounts:
    """Reached and lost per pipeline, channel (the deal's own, last touch) and stage."""
    cohort = deal_filter(wh.table("deal_progress"), scope)
    cohort = cohort.mutate(**{CHANNEL: own_channel(cohort, CHANNEL)})
    keys = ["pipeline_id", "max_open_sort", "outcome", "last_open_stage_id", CHANNEL]
    progress = cohort.group_by(keys).aggregate(
        deals=cohort.count(), amount=cohort.amount.sum()
    ).to_pyarrow()
    return _per_stage(progress, stages_by_pipeline(wh), CHANNEL)
