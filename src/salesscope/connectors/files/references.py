"""Names in a file turned into warehouse ids: existing ones reused, new ones created once.

Owners, teams, pipelines, stages and contacts have no ids in an export, only names. A name already
in the warehouse keeps its id; a new name gets a stable hash id (``ids.stable_id``), so importing
the same file twice creates nothing the second time. Existing users, teams, pipelines and contacts
are never rewritten by a deals import (a synced user keeps its team). Stages named by the mapping
take the mapping's kind and order, unless the warehouse mirrors a CRM (account crm kommo or demo):
then the CRM's stages stay as the CRM orders them and the import only refers to them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from salesscope.connectors.files.existing import Existing
from salesscope.connectors.files.ids import name_key, stable_id
from salesscope.connectors.files.mapping import StageSet


class References:
    """Resolves names to ids for one import and collects the rows it has to add."""

    def __init__(self, existing: Existing) -> None:
        self.existing = existing
        self.created: Counter[str] = Counter()
        self.users: dict[int, dict[str, Any]] = {}
        self.teams: dict[int, dict[str, Any]] = {}
        self.pipelines: dict[int, dict[str, Any]] = {}
        self.stages: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self._pipeline_stage_ids: dict[tuple[int, str], int] = {}
        self._staged_pipelines: set[int] = set()
        self._owns_stages = existing.account is None or existing.account.crm == "import"

    def user(self, name: str) -> int:
        """A user by name; a new one is active and in no team until `import users` says more."""
        key = name_key(name)
        known = self.existing.user_ids.get(key)
        if known is not None:
            return known
        user_id = stable_id("user", key)
        if user_id not in self.users:
            self.users[user_id] = {"id": user_id, "name": name, "email": None, "team_id": None,
                                   "role": None, "active": True}
            self.created["users"] += 1
        return user_id

    def team(self, name: str) -> int:
        key = name_key(name)
        known = self.existing.team_ids.get(key)
        if known is not None:
            return known
        team_id = stable_id("team", key)
        if team_id not in self.teams:
            self.teams[team_id] = {"id": team_id, "name": name}
            self.created["teams"] += 1
        return team_id

    def pipeline(self, name: str, stages: StageSet) -> int:
        """A pipeline by name, with every stage of ``stages`` (a stage no deal is in still shows)."""
        key = name_key(name)
        pipeline_id = self.existing.pipeline_ids.get(key)
        if pipeline_id is None:
            pipeline_id = stable_id("pipeline", key)
            if pipeline_id not in self.pipelines:
                first = self.existing.pipeline_sort_max is None and not self.pipelines
                sort = (self.existing.pipeline_sort_max or 0) + len(self.pipelines) + 1
                self.pipelines[pipeline_id] = {"id": pipeline_id, "name": name, "sort": sort,
                                               "is_main": first, "archived": False}
                self.created["pipelines"] += 1
        if pipeline_id not in self._staged_pipelines:
            self._staged_pipelines.add(pipeline_id)
            for rule in stages.stages:
                self._add_stage(pipeline_id, key, rule.name, rule.kind, rule.order)
        return pipeline_id

    def _add_stage(self, pipeline_id: int, pipeline_key: str, name: str, kind: str, order: int) -> None:
        key = name_key(name)
        known = self.existing.stages.get((pipeline_id, key))
        if known is None:
            stage_id = stable_id("stage", pipeline_key, key)
            row = {"id": stage_id, "pipeline_id": pipeline_id, "crm_id": stage_id, "name": name,
                   "sort": order, "kind": kind}
            self.created["stages"] += 1
        else:
            stage_id = int(known["id"])
            row = {**known, "sort": order, "kind": kind}
        self._pipeline_stage_ids[(pipeline_id, key)] = stage_id
        if known is None or self._owns_stages:
            self.stages[stage_id] = row

    def stage(self, pipeline_id: int, name: str) -> int:
        """The id of a stage of a pipeline already resolved with ``pipeline``."""
        return self._pipeline_stage_ids[(pipeline_id, name_key(name))]

    def contact(self, name: str, created_at: dt.datetime, is_company: bool) -> int:
        """A contact by name; a new one is as old as its oldest deal in the file."""
        key = name_key(name)
        known = self.existing.contact_ids.get(key)
        if known is not None:
            return known
        contact_id = stable_id("contact", key)
        row = self.contacts.get(contact_id)
        if row is None:
            self.contacts[contact_id] = {
                "id": contact_id, "name": name, "is_company": is_company, "phone": None,
                "email": None, "owner_id": None, "created_at": created_at, "updated_at": None,
                "deleted": False,
            }
            self.created["contacts"] += 1
        elif created_at < row["created_at"]:
            row["created_at"] = created_at
        return contact_id
