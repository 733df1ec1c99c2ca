"""Kommo webhooks: ``POST /hooks/kommo/<secret>`` as a FastAPI router any server can mount.

Kommo counts a delivery as accepted only on a 2xx within 2 seconds and disables a webhook after
100 failures in two hours, so the endpoint does no I/O: it checks the secret path (unknown → 404),
parses the form body (malformed → 400, nothing passed on), hands the ``ChangeNotice`` to
``deliver`` (e.g. ``WebhookInbox.put``) and answers. Whoever owns the warehouse's writer then
runs ``targeted.fetch_changes`` for what the inbox holds.

Kommo signs no standard webhook (API.md §4), so the secret path is the authentication; it lives
in secrets.json and is redacted from every log line.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from salesscope.connectors.kommo.webhook_form import ChangeNotice, WebhookFormError, notice_from_form, parse_form
from salesscope.secrets import REDACTOR, SecretStore
from salesscope.warehouse.store import Warehouse

PATH = "/hooks/kommo/{token}"
SECRET_SECTION = "kommo_webhook"
SETTINGS = (
    "add_lead", "update_lead", "delete_lead", "restore_lead", "status_lead", "responsible_lead",
    "note_lead", "add_contact", "update_contact", "delete_contact", "restore_contact",
    "add_company", "update_company", "delete_company", "restore_company",
    "add_task", "update_task", "delete_task",
)
"""The events Kommo is asked to send (``settings`` of ``POST /api/v4/webhooks``)."""
FORM = "application/x-www-form-urlencoded"


def kommo_webhook_router(
    secret: str | Callable[[], str | None],
    deliver: Callable[[ChangeNotice], None],
    subdomain: str | None = None,
) -> APIRouter:
    """A router answering Kommo's webhooks; ``subdomain`` (when given) must match the body's."""
    router = APIRouter()

    @router.post(PATH, include_in_schema=False)
    async def receive(token: str, request: Request) -> JSONResponse:
        expected = _current(secret)
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        if not request.headers.get("content-type", FORM).startswith(FORM):
            return JSONResponse({"detail": f"expected {FORM}"}, status_code=400)
        try:
            notice = notice_from_form(parse_form(await request.body()))
        except WebhookFormError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        if subdomain and notice.subdomain and notice.subdomain != subdomain:
            return JSONResponse({"detail": f"webhook of account {notice.subdomain!r}, not {subdomain!r}"},
                                status_code=400)
        deliver(notice)
        return JSONResponse({"accepted": notice.counts()})

    return router


def _current(source: str | Callable[[], str | None]) -> str | None:
    value = source() if callable(source) else source
    if value:
        REDACTOR.add(value)
    return value


def webhook_secret(store: SecretStore, create: bool = False) -> str | None:
    """The secret path segment (created and stored when ``create`` and there is none yet)."""
    value = store.section(SECRET_SECTION).get("secret")
    if value is None and create:
        with store.locked():
            value = store.section(SECRET_SECTION).get("secret") or secrets.token_urlsafe(24)
            store.put_section(SECRET_SECTION, {"secret": value})
    if value:
        REDACTOR.add(str(value))
    return str(value) if value else None


def make_router(warehouse_of: Callable[[], Warehouse] | None = None) -> APIRouter:
    """The router ``salesscope serve`` mounts: notices wait in ``scheduled.INBOX``.

    The server's writer then calls ``scheduled.drain_webhooks`` (or its ``sync`` job) to fetch
    them; ``warehouse_of`` is accepted for the server's discovery convention and not used here.
    """
    from salesscope.connectors.kommo.scheduled import INBOX

    store = SecretStore()
    return kommo_webhook_router(lambda: webhook_secret(store), INBOX.put)


def destination(public_url: str, secret: str) -> str:
    """The URL Kommo posts to."""
    return f"{public_url.rstrip('/')}/hooks/kommo/{secret}"
