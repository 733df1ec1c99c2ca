"""Drill-down: the deals behind a number, written as a query string that every surface shares.

Each row of the funnel, summary and goals reports carries a ``drill`` string such as
``period=2026-05&pipeline=1001&manager=7&stage=10014&reached=1``: the arguments of
``salesscope deals`` (the CLI takes it as ``--drill``) and the query of the dashboard's
``/deals?…`` page. ``parse`` turns it back into ``Filters`` and ``DealListOptions``;
``for_column`` rewrites a row's drill for another count of the same row (the lost deals of a
funnel stage, the won deals of a manager in the summary).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Scope
from salesscope.reports.period import Period

STATUSES = ("open", "won", "lost")
DATED = ("created", "closed")
MODES = ("current", "reached", "lost_at")

# Query keys in the order drill strings are written.
_FILTER_KEYS = ("period", "from", "to", "pipeline", "manager", "team", "source", "tag")
_OPTION_KEYS = ("stage", "reached", "lost_at", "status", "dated", "open_at", "channel", "crm_source",
                "no_team", "limit")
# The channels report's attribution: attr_<level>=value (warehouse.attribution.LEVELS), touch, and
# proposal=1 for deals that reached their pipeline's proposal stage.
ATTRIBUTION_LEVELS = ("channel", "utm_source", "utm_medium", "utm_campaign", "utm_content", "source")
_ATTRIBUTION_KEYS = (*(f"attr_{level}" for level in ATTRIBUTION_LEVELS), "touch", "proposal")
KEYS = _FILTER_KEYS + _OPTION_KEYS + _ATTRIBUTION_KEYS


@dataclass(frozen=True)
class DealListOptions:
    """Which deals of the filters to list, beyond the common filters.

    - ``stage`` with ``mode``: ``current`` = now in that stage; ``reached`` = reached it as the
      funnel counts (skipped stages count, won deals reached every stage); ``lost_at`` = lost with
      that stage as the last open one.
    - ``status``: the deal's outcome now (open, won, lost).
    - ``dated``: which date the period applies to: ``created`` (the funnel's cohort) or
      ``closed`` (won or lost in the period, as the summary and goals count them).
    - ``open_at``: open at the end of this local day (created before its end, not closed by then);
      the period is then not applied.
    - ``channel``: utm_source, else the CRM source, else ``(none)`` (as the metrics report counts
      leads per channel); ``crm_source``: exactly this CRM source ("" = none); ``no_team``: the
      owner is in no team.
    - ``attribution``: (level, value) pairs the deal's channel must match, as
      ``warehouse.attribution.channel_of`` reads it for ``touch`` (last or first); ``proposal``:
      reached the pipeline's proposal stage (won deals did), as the channels report counts.
    """

    stage: str | None = None
    mode: str = "current"
    status: str | None = None
    dated: str = "created"
    open_at: dt.date | None = None
    channel: str | None = None
    crm_source: str | None = None
    no_team: bool = False
    limit: int | None = None
    attribution: tuple[tuple[str, str], ...] = ()
    touch: str = "last"
    proposal: bool = False


def scope_filters(scope: Scope) -> Filters:
    """The scope's filters for a drill string: pipelines and managers as ids (names can change),
    without grouping or report options."""
    f = replace(scope.filters, by=None, options=())
    if scope.pipeline_ids is not None:
        f = replace(f, pipelines=tuple(str(i) for i in scope.pipeline_ids))
    if f.managers and scope.owner_ids:
        f = replace(f, managers=tuple(str(i) for i in scope.owner_ids))
    return f


def query(filters: Filters, options: DealListOptions | None = None, **extra: object) -> str:
    """The query string of a deal list; ``extra`` overrides options by name (``status="won"``)."""
    opts = options or _NO_OPTIONS
    if extra:
        opts = replace(opts, **extra)  # type: ignore[arg-type]
    pairs: list[tuple[str, str]] = []
    if filters.period is not None:
        pairs += list(_period_pairs(filters.period))
    for key, values in (("pipeline", filters.pipelines), ("manager", filters.managers),
                        ("team", filters.teams), ("source", filters.sources), ("tag", filters.tags)):
        pairs += [(key, v) for v in values]
    if opts.stage is not None:
        pairs.append(("stage", opts.stage))
        if opts.mode != "current":
            pairs.append((opts.mode, "1"))
    for key, value in (("status", opts.status), ("dated", None if opts.dated == "created" else opts.dated),
                       ("open_at", opts.open_at.isoformat() if opts.open_at else None),
                       ("channel", opts.channel), ("crm_source", opts.crm_source),
                       ("no_team", "1" if opts.no_team else None),
                       ("limit", str(opts.limit) if opts.limit else None)):
        if value is not None:
            pairs.append((key, value))
    pairs += [(f"attr_{level}", value) for level, value in opts.attribution]
    if opts.attribution and opts.touch != "last":
        pairs.append(("touch", opts.touch))
    if opts.proposal:
        pairs.append(("proposal", "1"))
    return urlencode(pairs)


_NO_OPTIONS = DealListOptions()


@functools.lru_cache(maxsize=64)
def _period_pairs(period: Period) -> list[tuple[str, str]]:
    """``period=LABEL`` when the label parses back to the same dates, else ``from``/``to``."""
    try:
        if Period.parse(period.label) == period:
            return [("period", period.label)]
    except FilterError:
        pass
    described = period.describe()
    pairs = []
    if period.start > dt.date(1970, 1, 1):
        pairs.append(("from", described["from"]))
    if period.end < dt.date(9999, 1, 1):
        pairs.append(("to", described["to"]))
    return pairs


def parse(text: str) -> tuple[Filters, DealListOptions]:
    """A drill string back into filters and deal-list options; a bad key or value is named."""
    pairs = parse_qsl(text.lstrip("?"), keep_blank_values=True)
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in KEYS:
            raise FilterError("drill key", key, list(KEYS))
        values.setdefault(key, []).append(value)
    return _filters(values), _options(values)


def _split(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(part.strip() for v in values for part in v.split(",") if part.strip())


def _one(values: Mapping[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    if not found:
        return None
    if len(found) > 1:
        raise FilterError(key, ",".join(found), ["one value"], reason=f"repeated {key}")
    return found[0]


def _filters(values: Mapping[str, list[str]]) -> Filters:
    label, date_from, date_to = _one(values, "period"), _one(values, "from"), _one(values, "to")
    if label and (date_from or date_to):
        raise FilterError("period", label, ["either period or from/to"], reason="both period and from/to:")
    period = (Period.parse(label) if label
              else Period.between(date_from, date_to) if (date_from or date_to) else None)
    return Filters(period, _split(values.get("pipeline", [])), _split(values.get("manager", [])),
                   _split(values.get("team", [])), _split(values.get("source", [])),
                   _split(values.get("tag", [])))


def _flag(values: Mapping[str, list[str]], key: str) -> bool:
    text = _one(values, key)
    if text is None:
        return False
    if text.strip().lower() in ("1", "true", "yes", ""):
        return True
    if text.strip().lower() in ("0", "false", "no"):
        return False
    raise FilterError(key, text, ["1", "0"])


def _options(values: Mapping[str, list[str]]) -> DealListOptions:
    reached, lost_at = _flag(values, "reached"), _flag(values, "lost_at")
    stage = _one(values, "stage")
    if reached and lost_at:
        raise FilterError("stage mode", "reached and lost_at", ["reached", "lost_at"],
                          reason="choose one of")
    if (reached or lost_at) and not stage:
        raise FilterError("stage", "", ["a stage name or id"], reason="reached/lost_at need a stage; missing")
    status = _choice(values, "status", STATUSES)
    dated = _choice(values, "dated", DATED) or "created"
    open_at = _one(values, "open_at")
    limit = _one(values, "limit")
    if limit is not None and not limit.isdigit():
        raise FilterError("limit", limit, ["a whole number"], reason="malformed limit")
    return DealListOptions(
        stage=stage, mode="reached" if reached else "lost_at" if lost_at else "current",
        status=status, dated=dated, open_at=_date("open_at", open_at) if open_at else None,
        channel=_one(values, "channel"), crm_source=_one(values, "crm_source"),
        no_team=_flag(values, "no_team"), limit=int(limit) if limit else None,
        attribution=tuple((level, value) for level in ATTRIBUTION_LEVELS
                          if (value := _one(values, f"attr_{level}")) is not None),
        touch=_choice(values, "touch", ("last", "first")) or "last", proposal=_flag(values, "proposal"),
    )


def _choice(values: Mapping[str, list[str]], key: str, choices: tuple[str, ...]) -> str | None:
    text = _one(values, key)
    if text is None:
        return None
    if text.strip().lower() not in choices:
        raise FilterError(key, text, list(choices))
    return text.strip().lower()


def _date(key: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(key, text, ["a date YYYY-MM-DD"], reason=f"malformed {key}") from None


# How each count column of a report turns the row's drill (which lists the row's first count)
# into the list behind that column: options to set, and whether the period is dropped ("now").
_COLUMN_DRILLS: dict[tuple[str, str], tuple[dict[str, object], bool]] = {
    ("funnel", "reached"): ({}, False),
    ("funnel", "reached_amount"): ({}, False),
    ("funnel", "lost"): ({"mode": "lost_at"}, False),
    ("funnel", "lost_amount"): ({"mode": "lost_at"}, False),
    ("summary", "deals_created"): ({}, False),
    ("summary", "won"): ({"status": "won", "dated": "closed"}, False),
    ("summary", "won_amount"): ({"status": "won", "dated": "closed"}, False),
    ("summary", "lost"): ({"status": "lost", "dated": "closed"}, False),
    ("summary", "lost_amount"): ({"status": "lost", "dated": "closed"}, False),
    ("summary", "open_deals"): ({"status": "open"}, True),
    ("summary", "open_amount"): ({"status": "open"}, True),
    ("goals", "fact"): ({}, False),
    # A channels row's drill lists its won deals; leads and proposals are the period's new leads.
    **{("channels", column): ({}, False) for column in ("won", "conversion", "revenue", "avg_check",
                                                        "cpa", "roi", "romi", "profit")},
    ("channels", "leads"): ({"status": None, "dated": "created"}, False),
    ("channels", "cpl"): ({"status": None, "dated": "created"}, False),
    ("channels", "proposals"): ({"status": None, "dated": "created", "proposal": True}, False),
    # A potential row's drill lists the deals that reached its stage; won and revenue are their wins.
    ("potential", "won"): ({"status": "won"}, False),
    ("potential", "revenue"): ({"status": "won"}, False),
}

NOT_DEAL_COUNTS = frozenset({("channels", "spend")})
"""Numbers no deal stands behind (ad spend is money paid to a platform), so they open no list."""


def lists_deals(report: str, column: str) -> bool:
    """Whether a number of ``report`` can be opened as the deals behind it."""
    return (report, column) not in NOT_DEAL_COUNTS


def for_column(report: str, column: str, row_drill: str) -> str:
    """The drill of another count of the same row (e.g. a funnel stage's ``lost``)."""
    try:
        changes, drop_period = _COLUMN_DRILLS[(report, column)]
    except KeyError:
        # The report's own columns when it has any (the full list is long), else every one.
        known = (sorted(f"{r}.{c}" for r, c in _COLUMN_DRILLS if r == report)
                 or sorted(f"{r}.{c}" for r, c in _COLUMN_DRILLS))
        raise FilterError("drill column", f"{report}.{column}", known) from None
    filters, options = parse(row_drill)
    if drop_period:
        filters = replace(filters, period=None)
    return query(filters, replace(options, **changes))  # type: ignore[arg-type]
