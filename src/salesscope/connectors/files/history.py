"""Stage history for imported deals: what ``deal_stage_changes`` rows an import writes, and why.

The funnel reads how far a deal went from ``deal_progress``: a deal's first stage is the
``from_stage_id`` of its earliest change, or its current stage when it never moved. Exports
rarely carry history, so:

- **With ``[stage_entered]``** (stage value = column with when the deal entered that stage) the
  file is the history: the deal starts in the pipeline's first open stage at ``created_at``, then
  moves through the dated stages in time order, and into its won/lost stage at ``closed_at``.
  These rows replace the deal's earlier history, so re-importing writes the same rows again.
- **Without it**, a new deal gets no rows: it started in its current stage (for a won deal that
  still counts as reaching every stage; a lost one counts as lost at the first open stage). When a
  later import finds a known deal in another stage, one row records that move (at ``closed_at``
  when it closed, else at the import), so its first stage stays the one first imported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from salesscope.connectors.files.deal_rows import ParsedDeal
from salesscope.connectors.files.ids import name_key, stable_id
from salesscope.connectors.files.mapping import StageSet


def _change(deal_id: int, position: str, from_id: int | None, to_id: int,
            at: dt.datetime) -> dict[str, Any]:
    return {"id": stable_id("stage_change", str(deal_id), position), "deal_id": deal_id,
            "from_stage_id": from_id, "to_stage_id": to_id, "at": at, "by_user_id": None}


def file_history(deal: ParsedDeal, stages: StageSet,
                 stage_id: Callable[[str], int]) -> list[dict[str, Any]]:
    """The deal's moves as the file dates them; none when it dates no stage and never closed."""
    dated: list[tuple[dt.datetime, int, str]] = []
    for key, at in deal.entered.items():
        rule = stages.find(key)
        if rule is not None:  # a stage of another pipeline's set does not apply here
            dated.append((at, rule.order, rule.name))
    current = deal.stage
    if (current.kind != "open" and deal.closed_at is not None
            and all(name_key(name) != name_key(current.name) for _, _, name in dated)):
        dated.append((deal.closed_at, current.order, current.name))
    if not dated:
        return []
    chain = [(at, name) for at, _, name in sorted(dated)]
    first = stages.first_open
    if name_key(chain[0][1]) != name_key(first.name):
        chain.insert(0, (deal.created_at, first.name))
    if name_key(chain[-1][1]) != name_key(current.name):
        chain.append((chain[-1][0], current.name))
    steps = [chain[0]] + [b for a, b in pairwise(chain) if name_key(a[1]) != name_key(b[1])]
    return [
        _change(deal.id, str(position), stage_id(before[1]), stage_id(after[1]), after[0])
        for position, (before, after) in enumerate(pairwise(steps))
    ]


def moved_since_last_import(deal: ParsedDeal, old_stage_id: int, new_stage_id: int,
                            now: dt.datetime) -> dict[str, Any]:
    """One move from the stage an earlier import saw to the stage this file says."""
    at = deal.closed_at if deal.stage.kind != "open" and deal.closed_at is not None else now
    return _change(deal.id, f"{old_stage_id}>{new_stage_id}@{at.isoformat()}", old_stage_id,
                   new_stage_id, at)
