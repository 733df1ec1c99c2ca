"""Plotly figures as plain dicts (rendered in the page by the bundled plotly.min.js).

Built by hand rather than with ``plotly.graph_objects``: validating a Figure costs tens of
milliseconds per chart, and the page budget is 300 ms at 8 users. Each clickable point carries
its deal-list URL in ``customdata``; ``static/app.js`` follows it on click.

The funnel has its own charts (stages with conversion, lost money per stage, managers side by
side with the averages). Any other report gets a chart when it declares one: a module-level
``CHART = {"type": "bar"|"line", "x": column, "y": [columns], "where": {column: value}}`` in the
report's module, or an entry in ``DECLARED`` below.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from salesscope.reports.result import ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.web.cells import CellFormatter
from salesscope.web.i18n import Translator

Figure = dict[str, Any]
LinkFor = Callable[[dict[str, Any], str], str | None]

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04",
           "#db2777", "#4f46e5", "#65a30d", "#0d9488", "#7c3aed")
AVERAGE_COLOURS = {"team_average": "#94a3b8", "company_average": "#334155"}

# Charts for reports that do not declare one themselves (only columns that exist are drawn);
# "report:grouping" declares the chart of one grouping. "series" draws one line per value.
DECLARED: dict[str, Mapping[str, Any]] = {
    "summary:week": {"type": "line", "x": "week_end", "y": ["open_deals"], "series": "manager",
                     "title": "open deals per manager at each week end"},
    "summary:stage": {"type": "bar", "x": "stage", "y": ["open_deals"]},
    "summary:team": {"type": "bar", "x": "team", "y": ["won_amount"], "where": {"row_kind": "team"}},
    "summary": {"type": "bar", "x": "manager", "y": ["won_amount"], "where": {"row_kind": "manager"}},
    "employees": {"type": "bar", "x": "manager", "y": ["calls_out", "messages_out", "proposals_sent"],
                  "where": {"row_kind": "manager"}},
    "calls": {"type": "bar", "x": "manager", "y": ["incoming", "outgoing"]},
    "goals": {"type": "bar", "x": "manager", "x_fallback": ["team"], "y": ["plan", "fact"],
              "where": {"metric": "won_amount"}},
    "worktime": {"type": "bar", "x": "day", "y": ["active_minutes"]},
}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    """The shared look; axes always make room for their labels (stage and manager names)."""
    axes = {axis: {"automargin": True, **extra.pop(axis, {})} for axis in ("xaxis", "yaxis")}
    return {
        "title": {"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "hoverlabel": {"align": "left"},
        **axes,
        **extra,
    }


def funnel_figures(result: ReportResult, link: LinkFor, t: Translator, fmt: CellFormatter) -> list[Figure]:
    """Per pipeline: the stage funnel and lost money per stage; by manager, managers side by side."""
    by_pipeline: dict[str, list[dict[str, Any]]] = {}
    for row in result.rows:
        by_pipeline.setdefault(row["pipeline"], []).append(row)
    figures: list[Figure] = []
    lost_unit = result.column("lost_amount").unit
    for pipeline, rows in by_pipeline.items():
        if "row_kind" in result.table.column_names and "manager" in result.table.column_names:
            figures.append(_managers_side_by_side(pipeline, rows, link, t, fmt))
            continue
        if "row_kind" in result.table.column_names:
            rows = [r for r in rows if r["row_kind"] == "total"]
        figures.append(_stage_funnel(pipeline, rows, link, t, fmt))
        figures.append(_lost_money(pipeline, rows, link, t, fmt, lost_unit))
    return figures


def _stage_funnel(pipeline: str, rows: list[dict[str, Any]], link: LinkFor, t: Translator,
                  fmt: CellFormatter) -> Figure:
    stages = [r["stage"] for r in rows]
    text = [
        f"{fmt.count(r['reached'])}"
        + (f" · {fmt.percent(r['conversion_from_previous'])} {t('of previous')}"
           if r["conversion_from_previous"] is not None else "")
        for r in rows
    ]
    trace = {
        "type": "funnel", "y": stages, "x": [r["reached"] for r in rows],
        "text": text, "textinfo": "text", "textposition": "auto", "constraintext": "none",
        "customdata": [link(r, "reached") for r in rows],
        "hovertemplate": "%{y}: %{text}<extra></extra>",
        "marker": {"color": [PALETTE[0]] * (len(rows) - 1) + ["#16a34a"]},
        "connector": {"line": {"color": "#cbd5e1"}},
    }
    title = f"{pipeline}: {t('deals reaching each stage')}"
    layout = _layout(title, height=80 + 48 * len(rows))
    return {"data": [trace], "layout": layout, "kind": "funnel"}


def _lost_money(pipeline: str, rows: list[dict[str, Any]], link: LinkFor, t: Translator,
                fmt: CellFormatter, unit: str | None) -> Figure:
    lost_rows = [r for r in rows if r["stage_kind"] == "open"]
    trace = {
        "type": "bar", "orientation": "h",
        "y": [r["stage"] for r in lost_rows], "x": [r["lost_amount"] for r in lost_rows],
        "text": [f"{fmt.money(r['lost_amount'], unit)} · {fmt.count(r['lost'])} {t('deals')}"
                 for r in lost_rows],
        "textposition": "auto", "customdata": [link(r, "lost") for r in lost_rows],
        "hovertemplate": "%{y}: %{text}<extra></extra>", "marker": {"color": "#dc2626"},
    }
    layout = _layout(f"{pipeline}: {t('money lost at each stage')}", height=80 + 48 * len(lost_rows),
                     yaxis={"autorange": "reversed"},
                     xaxis={"showticklabels": False, "showgrid": False})
    return {"data": [trace], "layout": layout, "kind": "lost"}


def _managers_side_by_side(pipeline: str, rows: list[dict[str, Any]], link: LinkFor, t: Translator,
                           fmt: CellFormatter) -> Figure:
    """Conversion from the first stage at each stage: one bar group per stage, a bar per row."""
    series: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        series.setdefault(row["manager"], []).append(row)
    traces = []
    for i, (name, stage_rows) in enumerate(series.items()):
        kind = stage_rows[0]["row_kind"]
        label = _average_label(name, kind, t)
        traces.append({
            "type": "bar", "name": label,
            "x": [r["stage"] for r in stage_rows],
            "y": [r["conversion_from_first"] for r in stage_rows],
            "text": [f"{label}: {fmt.percent(r['conversion_from_first'] or 0)} · "
                     f"{fmt.count(r['reached'])} {t('deals')}" for r in stage_rows],
            "hovertemplate": "%{x}<br>%{text}<extra></extra>", "textposition": "none",
            "customdata": [link(r, "reached") for r in stage_rows],
            "marker": {"color": AVERAGE_COLOURS.get(kind, PALETTE[i % len(PALETTE)]),
                       **({"pattern": {"shape": "/"}} if kind != "manager" else {})},
        })
    layout = _layout(f"{pipeline}: {t('conversion from the first stage, managers and averages')}",
                     barmode="group", height=420, yaxis={"tickformat": ".0%", "gridcolor": "#e2e8f0"},
                     legend={"orientation": "h", "y": -0.15})
    return {"data": traces, "layout": layout, "kind": "managers"}


def _average_label(name: str, kind: str, t: Translator) -> str:
    if kind == "team_average":
        return t("Team average: {team}", team=name.split(": ", 1)[-1])
    if kind == "company_average":
        return t("Company average")
    return name


def declared_chart(spec: ReportSpec, by: str | None = None) -> Mapping[str, Any] | None:
    """The chart a report declares (module ``CHART``), else the built-in declaration for it."""
    module = sys.modules.get(spec.run.__module__)
    own = getattr(module, "CHART", None)
    if isinstance(own, Mapping):
        return own
    if by is not None:
        return DECLARED.get(f"{spec.name}:{by}")
    return DECLARED.get(spec.name)


def generic_figures(spec: ReportSpec, result: ReportResult, link: LinkFor, t: Translator) -> list[Figure]:
    """The declared chart, drawn from the columns that exist; nothing when it does not fit."""
    chart = declared_chart(spec, result.filters.get("by"))
    names = set(result.table.column_names)
    if chart is None or chart.get("x") not in names:
        return []
    y_columns = [c for c in chart.get("y", []) if c in names]
    if not y_columns:
        return []
    where = {k: v for k, v in dict(chart.get("where", {})).items() if k in names}
    matching = [r for r in result.rows if all(r[k] == v for k, v in where.items())]
    rows = matching[:200]
    x_col = chart["x"]
    fallbacks = [c for c in chart.get("x_fallback", []) if c in names]

    def x_of(row: dict[str, Any]) -> str:
        for column in (x_col, *fallbacks):
            if row[column] is not None:
                return str(row[column])
        return "—"

    series = chart.get("series")
    if series in names:
        return [_series_figure(chart, result, matching[:5000], x_of, link, t)]
    traces = []
    for i, column in enumerate(y_columns):
        spec_col = result.column(column)
        traces.append({
            "type": "scatter" if chart.get("type") == "line" else "bar",
            "name": t(spec_col.label), "x": [x_of(r) for r in rows],
            "y": [r[column] for r in rows], "customdata": [link(r, column) for r in rows],
            "marker": {"color": PALETTE[i % len(PALETTE)]},
        })
    layout = _layout(t(result.title), barmode="group", height=380,
                     legend={"orientation": "h", "y": -0.2}, yaxis={"gridcolor": "#e2e8f0"})
    return [{"data": traces, "layout": layout, "kind": "declared"}]



def _series_figure(chart: Mapping[str, Any], result: ReportResult, rows: list[dict[str, Any]],
                   x_of: Callable[[dict[str, Any]], str], link: LinkFor, t: Translator) -> Figure:
    """One line (or bar group) per value of the ``series`` column, for the first y column."""
    column, series = chart["y"][0], chart["series"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row[series]), []).append(row)
    traces = [{
        "type": "scatter" if chart.get("type") == "line" else "bar", "mode": "lines+markers",
        "name": name, "x": [x_of(r) for r in group], "y": [r[column] for r in group],
        "customdata": [link(r, column) for r in group],
        "line": {"color": PALETTE[i % len(PALETTE)], "width": 2}, "marker": {"size": 4},
    } for i, (name, group) in enumerate(groups.items())]
    title = t(chart.get("title") or result.title)
    layout = _layout(title, height=420, legend={"orientation": "h", "y": -0.2},
                     yaxis={"gridcolor": "#e2e8f0", "title": {"text": t(result.column(column).label)}})
    return {"data": traces, "layout": layout, "kind": "series"}
