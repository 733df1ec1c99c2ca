"""Sales goals in the warehouse's ``goals`` table: set one, import a CSV, list them.

A goal is a plan for one manager or one team, one period (account-local dates) and one metric:
``won_amount`` (money in the account currency) or ``won_count`` (deals). Setting a goal that
exists (same scope, who, period and metric) replaces its target. Every write checks everything
first and then replaces the table's rows in one transaction: a bad CSV row stores nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Person, match_manager
from salesscope.reports.period import Period
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.engines import transaction
from salesscope.warehouse.store import Warehouse

SCOPES = ("manager", "team")
METRICS = ("won_amount", "won_count")
CSV_COLUMNS = ("scope", "name", "period", "metric", "target")
CSV_HELP = (
    "goals CSV: a header row scope,name,period,metric,target, then one goal per row — scope: "
    "manager or team; name: the manager (CRM id, full or first name) or the team (name or id); "
    "period: YYYY-MM, YYYY-Www, YYYY-Qn or YYYY; metric: won_amount or won_count; target: a "
    "positive number (a whole number for won_count)."
)


class GoalError(ValueError):
    """A goal that cannot be stored; the message names the value, where it was, and the choices."""


@dataclass(frozen=True)
class Goal:
    """One plan: who (a manager or a team), which local dates, which metric, how much."""

    scope: str
    owner_id: int
    period_start: dt.date
    period_end: dt.date
    metric: str
    target: Decimal

    @property
    def key(self) -> tuple[str, int, dt.date, dt.date, str]:
        return (self.scope, self.owner_id, self.period_start, self.period_end, self.metric)

    @property
    def period(self) -> Period:
        """The goal's dates as a report period (label YYYY-MM for a calendar month)."""
        end = self.period_end + dt.timedelta(days=1)
        start = self.period_start
        iso_year, iso_week, _ = start.isocalendar()
        labels = (start.strftime("%Y-%m"), f"{start.year}-Q{(start.month - 1) // 3 + 1}",
                  f"{iso_year}-W{iso_week:02d}", str(start.year))
        for label in labels:
            try:
                if Period.parse(label) == Period(self.period_start, end, label):
                    return Period(self.period_start, end, label)
            except FilterError:
                pass
        return Period(self.period_start, end,
                      f"{self.period_start.isoformat()}..{self.period_end.isoformat()}")


def _stored_rows(wh: Warehouse) -> list[dict[str, Any]]:
    """The goals table's rows, ordered by period, scope (teams first), who and metric."""
    rows = wh.rows("goals")
    return sorted(rows, key=lambda r: (r["period_start"], r["period_end"], r["scope"] != "team",
                                       r["user_id"] or r["team_id"] or 0, r["metric"]))


def load(wh: Warehouse) -> list[Goal]:
    """Every stored goal, ordered by period, scope (teams first), who and metric."""
    return [
        Goal(r["scope"], int(r["user_id"] if r["scope"] == "manager" else r["team_id"]),
             r["period_start"], r["period_end"], r["metric"], Decimal(r["target"]))
        for r in _stored_rows(wh)
    ]


def make_goal(wh: Warehouse, scope: str, name: str, period: str, metric: str, target: str) -> Goal:
    """A checked goal from user text; a bad value raises GoalError (FilterError for names)."""
    if scope not in SCOPES:
        raise GoalError(f"unknown scope {scope!r}; valid: {', '.join(SCOPES)}")
    if metric not in METRICS:
        raise GoalError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")
    owner = _manager_id(wh, name) if scope == "manager" else _team_id(wh, name)
    chosen = Period.parse(period)
    return Goal(scope, owner, chosen.start, chosen.end - dt.timedelta(days=1), metric,
                _target(metric, target))


def _target(metric: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(" ", "").replace("_", ""))
    except InvalidOperation:
        value = Decimal(-1)
    whole = metric == "won_count"
    if not value.is_finite() or value <= 0 or (whole and value != value.to_integral_value()):
        kind = "a positive whole number" if whole else "a positive number"
        raise GoalError(f"malformed target {text!r}; valid: {kind}")
    if value >= Decimal(10) ** 16 or value != round(value, 2):
        raise GoalError(f"malformed target {text!r}; valid: at most 16 digits and 2 decimals")
    return value


def _people(wh: Warehouse) -> dict[int, Person]:
    return {int(r["id"]): Person(int(r["id"]), str(r["name"]), r["team_id"], None, bool(r["active"]))
            for r in wh.catalog().users}


def _manager_id(wh: Warehouse, name: str) -> int:
    return match_manager(name, _people(wh))


def _team_id(wh: Warehouse, name: str) -> int:
    teams = {int(r["id"]): str(r["name"]) for r in wh.catalog().teams}
    key = name.strip()
    if key.isdigit() and int(key) in teams:
        return int(key)
    for team_id, team_name in teams.items():
        if team_name.casefold() == key.casefold():
            return team_id
    raise FilterError("team", name, sorted(teams.values()))


def save(wh: Warehouse, new: list[Goal]) -> int:
    """Store goals, replacing those with the same key; returns how many were added or changed."""
    stored = load(wh)
    ids = dict(zip((g.key for g in stored), (int(r["id"]) for r in _stored_rows(wh)), strict=True))
    kept = {g.key: g for g in stored}
    changed = sum(1 for g in new if kept.get(g.key) != g)
    kept.update({g.key: g for g in new})
    next_id = max(ids.values(), default=0) + 1
    rows = []
    for g in kept.values():
        if g.key not in ids:
            ids[g.key], next_id = next_id, next_id + 1
        rows.append(_row(ids[g.key], g))
    with transaction(wh.engine):
        wh.engine.execute("DELETE FROM goals")
        wh.engine.append("goals", rows_to_arrow("goals", rows))
    wh.invalidate()
    return changed


def _row(goal_id: int, g: Goal) -> dict[str, Any]:
    return {"id": goal_id, "scope": g.scope,
            "user_id": g.owner_id if g.scope == "manager" else None,
            "team_id": g.owner_id if g.scope == "team" else None,
            "period_start": g.period_start, "period_end": g.period_end,
            "metric": g.metric, "target": g.target}


def read_csv(wh: Warehouse, path: Path) -> list[Goal]:
    """Every goal of a CSV file, all checked; the first bad one raises GoalError naming the file,
    the row (the line number, the header being row 1), the column and the value."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoalError(f"cannot read {path}: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise GoalError(f"{path} row 1: missing column(s) {', '.join(missing)}; {CSV_HELP}")
    goals = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        goals.append(_csv_goal(wh, path, line, row))
    return goals


def _csv_goal(wh: Warehouse, path: Path, line: int, row: dict[str, str]) -> Goal:
    for column in CSV_COLUMNS:  # check column by column, so the error names the right one
        try:
            _check_cell(wh, column, row)
        except (GoalError, FilterError) as exc:
            raise GoalError(f"{path} row {line}, column {column}: {exc}") from None
    return make_goal(wh, row["scope"], row["name"], row["period"], row["metric"], row["target"])


def _check_cell(wh: Warehouse, column: str, row: dict[str, str]) -> None:
    value = row[column]
    if column == "scope" and value not in SCOPES:
        raise GoalError(f"unknown scope {value!r}; valid: {', '.join(SCOPES)}")
    if column == "name" and row["scope"] == "manager":
        _manager_id(wh, value)
    elif column == "name":
        _team_id(wh, value)
    if column == "period":
        Period.parse(value)
    if column == "metric" and value not in METRICS:
        raise GoalError(f"unknown metric {value!r}; valid: {', '.join(METRICS)}")
    if column == "target":
        _target(row["metric"], value)
