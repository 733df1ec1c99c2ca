"""Attribution: which marketing channel a deal came from, at a chosen level of detail.

A deal's *channel* is its ``utm_source`` when it has one, else the CRM's lead ``source``, else
``(none)``. The finer levels read one UTM field each (``utm_medium``, ``utm_campaign``,
``utm_content`` — the ad) and ``source`` reads the CRM source alone. Blank or whitespace-only
values count as missing and become ``(none)``; a literal ``unknown`` (some CRMs and data sets
write it) is a value like any other and stays ``unknown``, so "we were told it is unknown" and
"we were told nothing" are never merged. Values are trimmed, nothing else is changed (case kept).

Touch: the CRM keeps one set of UTM fields per deal, so the several touches of one buyer are its
repeat leads. ``last`` (the default) credits each deal's own UTM/source; ``first`` credits the
channel of the earliest deal (by ``created_at``, then id) of the same contact — the channel that
first brought that person in. A deal without a contact is its own first touch.

Everything here is an Ibis expression, so it runs inside the report's query on DuckDB and
PostgreSQL alike. It lives with the warehouse, not the reports, because ``deal_progress`` stores
each deal's own channel at load time (``warehouse.derived``): data flows warehouse → reports.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

LEVELS = ("channel", "utm_source", "utm_medium", "utm_campaign", "utm_content", "source")
"""Levels a deal can be attributed at, coarse to fine (``source`` is the CRM's own field)."""

ALIASES = {"ad": "utm_content", "campaign": "utm_campaign", "medium": "utm_medium"}
"""Other names users type for a level."""

TOUCHES = ("last", "first")

NONE = "(none)"
"""The channel of a deal with nothing recorded at the level (blank counts as nothing)."""


def level_name(level: str) -> str:
    """The canonical level for a name or alias; ValueError naming the valid ones otherwise."""
    key = ALIASES.get(level, level)
    if key not in LEVELS:
        raise ValueError(f"unknown attribution level {level!r}; valid: {', '.join(LEVELS + tuple(ALIASES))}")
    return key


def cleaned(value: ir.StringValue) -> ir.StringValue:
    """The value trimmed, NULL when it is missing or blank (so blanks fall through to ``(none)``)."""
    return value.strip().nullif("")  # one trim per value: this runs on every deal of a report


def own_channel(deals: ir.Table, level: str) -> ir.StringValue:
    """The deal's own value at ``level`` (its last touch), ``(none)`` when it has none."""
    key = level_name(level)
    if key == "channel":
        return ibis.coalesce(cleaned(deals.utm_source), cleaned(deals.source), ibis.literal(NONE))
    return ibis.coalesce(cleaned(deals[key]), ibis.literal(NONE))


def channel_of(deals: ir.Table, level: str, touch: str = "last") -> ir.StringValue:
    """Each deal's channel at ``level`` for the given touch, as a column of ``deals``.

    For ``touch="first"`` this is a window over the contact's deals, so ``deals`` must be the
    whole (undeleted) deals table, filtered by period or manager only *after* the channel is
    added with ``mutate`` — otherwise an earlier lead outside the filter would be missed.
    """
    if touch not in TOUCHES:
        raise ValueError(f"unknown touch {touch!r}; valid: {', '.join(TOUCHES)}")
    own = own_channel(deals, level)
    if touch == "last":
        return own
    # Deals without a contact form their own group: (True, deal id) never meets (False, contact).
    window = ibis.window(
        group_by=[deals.contact_id.isnull(), ibis.coalesce(deals.contact_id, deals.id)],
        order_by=[deals.created_at, deals.id],
    )
    return own.first().over(window)


def with_channel(deals: ir.Table, level: str, touch: str = "last", name: str = "channel") -> ir.Table:
    """``deals`` with the channel at ``level`` added as column ``name``."""
    return deals.mutate(**{name: channel_of(deals, level, touch)})
