"""The Kommo connector's entry points for a server: the scheduled job and the webhook drain.

``salesscope serve`` discovers ``scheduled_sync`` (its ``sync`` job) and mounts
``webhooks.make_router``; both share ``INBOX``. The server calls these under its writer lock, so
nothing here opens the warehouse or decides when to run.

``salesscope sync --full`` while a server holds the warehouse leaves a request file in
``$SALESSCOPE_HOME`` (``request_full_sync``) and then runs the server's ``sync`` job: the next
run of that job, whoever starts it, is a full one and removes the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from salesscope import paths
from salesscope.connectors.kommo.connection import load_connection, open_client, run_configured_sync
from salesscope.connectors.kommo.errors import KommoNotConnected
from salesscope.connectors.kommo.targeted import WebhookInbox, fetch_changes
from salesscope.secrets import SecretStore
from salesscope.warehouse.store import Warehouse

INBOX = WebhookInbox()
"""Webhook notices received by this process and not fetched yet."""
FULL_SYNC_REQUEST = "kommo-full-sync.request"


def request_full_sync(home: Path | None = None) -> Path:
    """Ask the server's next ``sync`` job to read everything again."""
    path = (home or paths.home()) / FULL_SYNC_REQUEST
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def take_full_sync_request(home: Path | None = None) -> bool:
    """Whether a full sync was requested (the request is removed: it is served once)."""
    try:
        ((home or paths.home()) / FULL_SYNC_REQUEST).unlink()
    except FileNotFoundError:
        return False
    return True


def drain_webhooks(wh: Warehouse) -> Mapping[str, Any] | None:
    """Fetch what the webhooks received so far named (a no-op when none came)."""
    notice = INBOX.take()
    if notice is None:
        return {"webhooks": 0}
    try:
        connection = load_connection()
    except KommoNotConnected:
        return {"skipped": "Kommo is not connected"}
    try:
        with open_client(connection, SecretStore()) as client:
            written = fetch_changes(wh, client, notice, connection.overlap_s)
    except Exception:
        INBOX.put(notice)  # not lost: the next drain (or the next sync) tries again
        raise
    return {"webhook_records": notice.counts(), "rows": written}


def scheduled_sync(wh: Warehouse) -> Mapping[str, Any] | None:
    """The server's ``sync`` job: pending webhook fetches, then an incremental sync (a full one
    when ``salesscope sync --full`` asked for it)."""
    try:
        load_connection()
    except KommoNotConnected:
        return {"skipped": "Kommo is not connected (salesscope connect kommo)"}
    INBOX.take()  # the sync reads everything the pending notices name
    # A full run that fails part-way is resumed as a full run by the next job (sync_state).
    report = run_configured_sync(wh, full=take_full_sync_request())
    return {"requests": report.requests, "rows": report.rows, "resumed": report.resumed,
            "full": report.full, "seconds": round(report.seconds, 1)}
