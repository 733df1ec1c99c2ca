"""What each role may see, enforced once, on the Filters, before any report runs.

head and admin see everything; a teamlead sees their team; a manager sees their own deals, calls
and actions, plus averages that name nobody. Asking for anyone else's data is ``Forbidden`` (403
on every surface alike). As a second line, ``visible_rows`` drops any row that names a person the
viewer may not see, whatever a report returns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pyarrow as pa

from salesscope.auth.users import WebUser
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters, Person, match_manager, resolve
from salesscope.reports.result import ReportResult
from salesscope.warehouse.store import Warehouse

PERSON_ID_COLUMNS = ("manager_id", "owner_id", "author_id", "user_id")
PERSON_NAME_COLUMNS = ("manager", "owner", "author")


class Forbidden(Exception):
    """The viewer asked for data their role does not show them; the message says whose they see."""


@dataclass(frozen=True)
class Viewer:
    """A logged-in user resolved against the warehouse: whose data they may see."""

    user: WebUser
    owner_ids: frozenset[int] | None
    """CRM users whose data is visible; None = everyone."""
    own_id: int | None = None
    own_name: str | None = None
    team_id: int | None = None
    team_name: str | None = None

    @property
    def restricted(self) -> bool:
        return self.owner_ids is not None


def viewer_for(user: WebUser, wh: Warehouse) -> Viewer:
    """Resolve a user's CRM manager or team; a broken link sees nothing (Forbidden)."""
    if user.sees_everything:
        return Viewer(user, None)
    people = _people(wh)
    if user.role == "manager":
        try:
            own = match_manager(user.manager or "", people)
        except FilterError:
            raise Forbidden(f"your login is linked to CRM user {user.manager!r}, who is not in "
                            "the warehouse; ask an admin to fix it") from None
        person = people[own]
        return Viewer(user, frozenset({own}), own, person.name, person.team_id, person.team)
    team_id, team_name = _match_team(user.team or "", wh)
    if team_id is None:
        raise Forbidden(f"your login is linked to team {user.team!r}, which is not in the "
                        "warehouse; ask an admin to fix it")
    members = frozenset(p.id for p in people.values() if p.team_id == team_id)
    return Viewer(user, members, team_id=team_id, team_name=team_name)


def restrict(filters: Filters, viewer: Viewer, wh: Warehouse) -> Filters:
    """The filters a viewer may run: checked against their role, narrowed to what they see."""
    if not viewer.restricted:
        return filters
    people = _people(wh)
    for team in filters.teams:
        if _match_team(team, wh)[0] != viewer.team_id:
            raise Forbidden(_whose(viewer))
    for name in filters.managers:
        try:
            chosen = match_manager(name, people)
        except FilterError:
            raise Forbidden(_whose(viewer)) from None
        if viewer.owner_ids is not None and chosen not in viewer.owner_ids:
            raise Forbidden(_whose(viewer))
    if viewer.own_name is not None and not filters.managers:
        return dataclasses.replace(filters, managers=(viewer.own_name,))
    if viewer.team_name is not None and viewer.own_id is None and not filters.teams:
        return dataclasses.replace(filters, teams=(viewer.team_name,))
    return filters


def visible_rows(result: ReportResult, viewer: Viewer, wh: Warehouse) -> ReportResult:
    """The result without rows naming a person the viewer may not see (averages stay)."""
    if not viewer.restricted or result.table.num_rows == 0:
        return result
    allowed = viewer.owner_ids or frozenset()
    hidden_names = {p.name for p in _people(wh).values() if p.id not in allowed}
    keep = [True] * result.table.num_rows
    for name in result.table.column_names:
        if name in PERSON_ID_COLUMNS:
            values = result.table.column(name).to_pylist()
            keep = [k and (v is None or v in allowed) for k, v in zip(keep, values, strict=True)]
        elif name in PERSON_NAME_COLUMNS:
            values = result.table.column(name).to_pylist()
            keep = [k and v not in hidden_names for k, v in zip(keep, values, strict=True)]
    if all(keep):
        return result
    return dataclasses.replace(result, table=result.table.filter(pa.array(keep)))


def _people(wh: Warehouse) -> dict[int, Person]:
    return resolve(wh, Filters()).people


def _match_team(value: str, wh: Warehouse) -> tuple[int | None, str | None]:
    """A team by id or case-insensitive name."""
    key = value.strip()
    for team in wh.catalog().teams:
        team_id, name = int(team["id"]), str(team["name"])
        if (key.isdigit() and int(key) == team_id) or key.casefold() == name.casefold():
            return team_id, name
    return None, None


def _whose(viewer: Viewer) -> str:
    if viewer.own_name is not None:
        return f"you can see only your own data ({viewer.own_name}) and anonymous averages"
    return f"you can see only your team's data ({viewer.team_name})"
