"""Who gets a row in an activity report, and the team and company medians beside them.

A report about work must show who did nothing, so the rows are not just the people found in the
data: every *active* user the filters allow who has ever acted in the CRM is listed (with zeros
when idle in the period), plus anyone — deactivated users included — with something in the
period. Users who never took a single action (an administrator, an integration's login, a head who
only reads) are left out unless named. ``--manager`` lists exactly the managers named, whatever
they did. Medians are taken over every person listed without ``--manager`` (so one manager still
reads against the whole team), zeros included.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from salesscope.reports.filters import Person, Scope

NO_TEAM = "(no team)"
COMPANY_MEDIAN = "Company median"


def person_name(scope: Scope, person_id: int | None) -> str:
    """The CRM name of a user, or a placeholder for a missing or unknown one."""
    if person_id is None:
        return "(nobody)"
    person = scope.people.get(person_id)
    return person.name if person else f"user {person_id}"


def team_of(scope: Scope, person_id: int | None) -> Person | None:
    return scope.people.get(person_id) if person_id is not None else None


def everyone(scope: Scope, seen: Collection[int | None], acted: Collection[int]) -> list[int | None]:
    """The people listed without ``--manager``: active users the team filter allows who ever
    ``acted``, plus anyone the team filter allows ``seen`` in the period's data; by name."""
    allowed = (set(scope.team_owner_ids) if scope.team_owner_ids is not None
               else set(scope.people) | {i for i in seen if i is not None})
    found = {i for i in allowed
             if (p := scope.people.get(i)) is not None and p.active and i in acted}
    found |= {i for i in seen if i in allowed}
    out: list[int | None] = sorted(found, key=lambda i: (person_name(scope, i), i))
    if None in seen and scope.team_owner_ids is None:
        out.append(None)
    return out


def listed(scope: Scope, everyone: list[int | None]) -> list[int | None]:
    """The people who get a row: ``--manager`` exactly, else ``everyone``."""
    if scope.filters.managers and scope.owner_ids is not None:
        return sorted(scope.owner_ids, key=lambda i: (person_name(scope, i), i))
    return everyone


def identity(scope: Scope, person_id: int | None) -> dict[str, Any]:
    """The leading columns of a person's row."""
    person = team_of(scope, person_id)
    return {"manager": person_name(scope, person_id), "manager_id": person_id,
            "team": person.team if person else None, "row_kind": "manager"}


def median_rows(
    scope: Scope,
    shown: Sequence[int | None],
    pool: Sequence[int | None],
    values: Mapping[int | None, Mapping[str, float]],
    columns: Sequence[str],
    extra: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A ``team_median`` row for each team of the shown people, then a ``company_median`` row.

    ``values[person][column]`` holds each person's numbers (missing = 0); a median is taken over
    the ``pool`` members of the team (or everyone in the pool for the company).
    """
    rows = []
    by_team: dict[int, list[int | None]] = {}
    for i in pool:
        if (p := team_of(scope, i)) is not None and p.team_id is not None:
            by_team.setdefault(p.team_id, []).append(i)
    teams = sorted({p.team_id for i in shown if (p := team_of(scope, i)) and p.team_id is not None})
    for team_id in teams:
        members = by_team.get(team_id, [])
        name = next((p.team for i in shown if (p := team_of(scope, i)) and p.team_id == team_id),
                    None)
        rows.append({"manager": f"Team median: {name}", "manager_id": None, "team": name,
                     "row_kind": "team_median", **(extra or {}),
                     **_medians(members, values, columns)})
    rows.append({"manager": COMPANY_MEDIAN, "manager_id": None, "team": None,
                 "row_kind": "company_median", **(extra or {}),
                 **_medians([i for i in pool if i is not None], values, columns)})
    return rows


def _medians(
    members: Iterable[int | None], values: Mapping[int | None, Mapping[str, float]],
    columns: Sequence[str],
) -> dict[str, float | None]:
    chosen = list(members)
    if not chosen:
        return dict.fromkeys(columns)
    return {c: float(statistics.median(values.get(i, {}).get(c, 0) for i in chosen))
            for c in columns}
