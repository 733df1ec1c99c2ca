"""Filters in the query string: every view is a link, and its ``.json``/``.csv`` twin the same link.

The parameters are the CLI's options by the same names (``period``, ``from``, ``to``, ``pipeline``,
``manager``, ``team``, ``source``, ``tag``, ``by`` and each report option by its name), parsed the
same way, so ``/reports/funnel.json?period=2026-05&manager=Serhiy&pipeline=Sales`` runs exactly
``salesscope report funnel --period 2026-05 --manager Serhiy --pipeline Sales``. Empty values (an
untouched form field) count as absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.reports.spec import ReportSpec

LIST_PARAMS = {"pipeline": "pipelines", "manager": "managers", "team": "teams", "source": "sources",
               "tag": "tags"}
COMMON_PARAMS = ("period", "from", "to", *LIST_PARAMS, "by")

Pairs = Sequence[tuple[str, str]]


def present(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs that carry a value (an empty form field is no filter)."""
    return [(k, v) for k, v in pairs if v.strip() != ""]


def split_values(pairs: Pairs, name: str) -> tuple[str, ...]:
    """Repeated parameters and comma-separated lists both work, as on the command line."""
    found: list[str] = []
    for key, value in pairs:
        if key == name:
            found += [part.strip() for part in value.split(",") if part.strip()]
    return tuple(found)


def single(pairs: Pairs, name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise FilterError(name, ", ".join(values), ["one value"], reason=f"more than one {name}")
    return values[0].strip() if values else None


def check_known(pairs: Pairs, allowed: Iterable[str]) -> None:
    known = list(allowed)
    for key, _ in pairs:
        if key not in known:
            raise FilterError("parameter", key, known)


def filters_from_query(pairs: Pairs, spec: ReportSpec | None, extra: Iterable[str] = ()) -> Filters:
    """The Filters a query string asks for; a bad value names itself and the valid choices.

    With a report ``spec``, its options are filled with their defaults exactly as the CLI does.
    ``extra`` names parameters a page handles itself (they are allowed, not parsed here).
    """
    pairs = present(pairs)
    options = [o.name for o in spec.options] if spec else []
    check_known(pairs, [*COMMON_PARAMS, *options, *extra])
    period_text, date_from, date_to = single(pairs, "period"), single(pairs, "from"), single(pairs, "to")
    if period_text and (date_from or date_to):
        raise FilterError("period", period_text, ["either period or from/to, not both"],
                          reason="both period and from/to given:")
    period = (Period.parse(period_text) if period_text
              else Period.between(date_from, date_to) if (date_from or date_to) else None)
    given: dict[str, Any] = {}
    if spec is not None:
        for opt in spec.options:
            text = single(pairs, opt.name)
            if text is not None:
                given[opt.name] = opt.parse(text)
    chosen = spec.with_defaults(given) if spec is not None else {}
    lists = {field: split_values(pairs, param) for param, field in LIST_PARAMS.items()}
    return Filters(period=period, by=single(pairs, "by"), options=tuple(sorted(chosen.items())),
                   **lists)


def query_of(filters: Filters, spec: ReportSpec | None = None) -> list[tuple[str, str]]:
    """The query string that asks for these filters (options left out when at their default)."""
    pairs: list[tuple[str, str]] = []
    if filters.period is not None:
        label = filters.period.label
        if ".." in label:
            first, last = filters.period.describe()["from"], filters.period.describe()["to"]
            if not label.startswith("…"):
                pairs.append(("from", first))
            if not label.endswith("…"):
                pairs.append(("to", last))
        else:
            pairs.append(("period", label))
    for param, field in LIST_PARAMS.items():
        pairs += [(param, value) for value in getattr(filters, field)]
    if filters.by:
        pairs.append(("by", filters.by))
    defaults = {o.name: o.default for o in spec.options} if spec else {}
    for name, value in filters.options:
        if name in defaults and value == defaults[name]:
            continue
        pairs.append((name, str(value).lower() if isinstance(value, bool) else str(value)))
    return pairs


def encode(pairs: Iterable[tuple[str, str]]) -> str:
    return urlencode(list(pairs))
