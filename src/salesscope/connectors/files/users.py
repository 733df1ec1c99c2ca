"""A users file planned into users and teams: who the managers are, their team and role.

A user is matched by name with the users already in the warehouse (an owner created by a deals
import, or a synced user), so importing users before or after deals gives the same warehouse.
The mapped fields are the file's truth (a blank team means no team); fields the mapping does not
name (e-mail, active) keep what the warehouse had.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from salesscope.connectors.files import values
from salesscope.connectors.files.errors import FileImportError
from salesscope.connectors.files.existing import read_existing
from salesscope.connectors.files.ids import name_key, stable_id
from salesscope.connectors.files.load import LoadPlan, import_sync_row
from salesscope.connectors.files.mapping import USER_FIELDS, UserMapping
from salesscope.connectors.files.reading import SourceTable
from salesscope.connectors.files.references import References
from salesscope.connectors.files.summary import ImportSummary
from salesscope.warehouse.store import Warehouse


def plan_users(wh: Warehouse, source: SourceTable,
               mapping: UserMapping) -> tuple[LoadPlan, ImportSummary]:
    """Check every row of a users file and turn it into user and team rows."""
    existing = read_existing(wh)
    refs = References(existing)
    index = {name: source.column(column) for name, column in mapping.columns.items()}
    summary = ImportSummary("users", source.path, source.dialect, len(source.rows), source.blank_rows)
    blanks: Counter[str] = Counter()
    seen: dict[str, int] = {}
    users: list[dict[str, Any]] = []
    for row in source.rows:
        cells = {name: values.text(row.cells[i]) for name, i in index.items()}
        name = cells["user"]
        if name is None:
            raise FileImportError(source.path, row.number, mapping.columns["user"], "", "blank user")
        if name_key(name) in seen:
            raise FileImportError(source.path, row.number, mapping.columns["user"], name,
                                  f"duplicate user (first on row {seen[name_key(name)]})")
        seen[name_key(name)] = row.number
        blanks.update(field for field, value in cells.items() if value is None)
        user_id = existing.user_ids.get(name_key(name), stable_id("user", name_key(name)))
        before = existing.users.get(user_id)
        user = dict(before) if before else {"id": user_id, "name": name, "email": None,
                                            "team_id": None, "role": None, "active": True}
        if "team" in cells:
            user["team_id"] = refs.team(cells["team"]) if cells["team"] else None
        for field in ("role", "email"):
            if field in cells:
                user[field] = cells[field]
        users.append(user)
        if before is None:
            summary.new += 1
        elif before == user:
            summary.unchanged += 1
        else:
            summary.updated += 1
    summary.blanks = dict(blanks)
    summary.not_mapped = [f for f in USER_FIELDS if f not in mapping.columns]
    summary.created = {"users": summary.new, **refs.created}
    plan = LoadPlan(upserts={"teams": list(refs.teams.values()), "users": users},
                    sync_state=import_sync_row("users", source.path, len(users)))
    return plan, summary
