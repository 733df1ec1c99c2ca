"""The small lists every run reads whole: account, users, pipelines with stages, loss reasons.

They are a handful of requests, so every run (and every resumed run) reads them again; they give
the context the record mappings need (currency, task types, loss reason names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from salesscope.connectors.kommo import map_reference as m
from salesscope.connectors.kommo.client import KommoClient, link
from salesscope.connectors.kommo.errors import KommoError, KommoResponseError
from salesscope.connectors.kommo.lookups import count, rows_where
from salesscope.connectors.kommo.map_records import RecordContext
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

ACCOUNT_WITH = "users_groups,task_types,datetime_settings"


@dataclass(frozen=True)
class Reference:
    """What Kommo said about the account and its lists."""

    account: dict[str, Any]
    users: list[dict[str, Any]]
    pipelines: list[dict[str, Any]]
    loss_reasons: list[dict[str, Any]]

    def context(self) -> RecordContext:
        row = m.account_row(self.account, None)
        return RecordContext(row["currency"], m.loss_reason_names(self.loss_reasons),
                             m.task_kinds(self.account))

    def tables(self, web_root: str | None) -> dict[str, pa.Table]:
        root = web_root or default_web_root(self.account)
        pipelines, stages = [], []
        for p in self.pipelines:
            row, its_stages = m.pipeline_rows(p)
            pipelines.append(row)
            stages += its_stages
        return {
            "account": rows_to_arrow("account", [m.account_row(self.account, root)]),
            "teams": rows_to_arrow("teams", m.team_rows(self.account)),
            "users": rows_to_arrow("users", [m.user_row(u) for u in self.users]),
            "pipelines": rows_to_arrow("pipelines", pipelines),
            "stages": rows_to_arrow("stages", stages),
        }


def fetch_account(client: KommoClient) -> dict[str, Any]:
    account = client.get("/api/v4/account", [("with", ACCOUNT_WITH)])
    if not account or "id" not in account:
        raise KommoResponseError("Kommo's answer to GET /api/v4/account has no account id")
    return account


def fetch_reference(client: KommoClient) -> Reference:
    return Reference(
        fetch_account(client),
        collect(client, link("/api/v4/users", [("with", "role,group"), ("limit", 250)]), "users"),
        collect(client, "/api/v4/leads/pipelines", "pipelines"),
        collect(client, link("/api/v4/leads/loss_reasons", [("limit", 250)]), "loss_reasons"),
    )


def collect(client: KommoClient, target: str | None, items_key: str) -> list[dict[str, Any]]:
    """Every item of a short list, following ``_links.next``."""
    items: list[dict[str, Any]] = []
    while target:
        page = client.page(target, items_key)
        items += page.items
        target = page.next_link
    return items


def default_web_root(account: dict[str, Any]) -> str | None:
    sub = account.get("subdomain")
    return f"https://{sub}.kommo.com" if sub else None


def check_same_account(wh: Warehouse, account: dict[str, Any]) -> None:
    """Refuse to mix accounts: a warehouse holds one CRM account (the demo is one too)."""
    accounts = rows_where(wh, "account")
    for row in accounts:
        if row["crm"] != "kommo" or int(row["id"]) != int(account["id"]):
            raise KommoError(
                f"warehouse {wh.location} holds another account ({row['crm']} account "
                f"{row['name']!r}); sync Kommo account {account.get('name')!r} into a new warehouse "
                "with --db PATH"
            )
    if not accounts and count(wh, "deals"):
        raise KommoError(f"warehouse {wh.location} holds deals of an unnamed account; sync into a "
                         "new warehouse with --db PATH")
