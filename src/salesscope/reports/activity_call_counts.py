"""What the calls report counts per group (a manager, or a weekday and hour), defined once.

Outcomes come from ``call_facts.incoming`` and ``call_facts.answered`` (materialised booleans:
comparing the status strings per call took twice the scan). The engine sums only what cannot be
derived: outgoing = calls - incoming and missed = calls - answered are taken here.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir


def metrics(t: ir.Table, min_duration: int) -> dict[str, ir.Scalar]:
    """The sums one group needs, as Ibis aggregations over call_facts rows."""
    return {
        "calls": t.count(),
        "incoming": t.count(where=t.incoming),
        "answered": t.count(where=t.answered),
        "total_duration_s": t.duration_s.sum(),
        "answered_duration_s": t.duration_s.sum(where=t.answered),
        "effective_calls": t.count(where=t.duration_s >= min_duration),
    }


def summed(t: ir.Table) -> dict[str, ir.Scalar]:
    """The same sums over ``call_day_counts`` (calls counted per day at load time, effective at
    the default ``EFFECTIVE_CALL_S``)."""
    return {
        "calls": t.calls.sum(),
        "incoming": t.calls.sum(where=t.incoming),
        "answered": t.calls.sum(where=t.answered),
        "total_duration_s": t.duration_s.sum(),
        "answered_duration_s": t.duration_s.sum(where=t.answered),
        "effective_calls": t.effective_calls.sum(),
    }


def counted(sums: dict[str, Any]) -> dict[str, int]:
    """The count columns of one group from its sums (an empty dict: a group without calls)."""
    calls, incoming, answered = (int(sums.get(k) or 0) for k in ("calls", "incoming", "answered"))
    return {
        "calls": calls,
        "incoming": incoming,
        "outgoing": calls - incoming,
        "answered": answered,
        "missed": calls - answered,
        "total_duration_s": int(sums.get("total_duration_s") or 0),
        "effective_calls": int(sums.get("effective_calls") or 0),
        "answered_duration_s": int(sums.get("answered_duration_s") or 0),
    }
