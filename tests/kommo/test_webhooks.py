"""The webhook receiver mounted on a bare FastAPI app served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI
from typer.testing import CliRunner

from kommo.conftest import TOKEN, client_for
from kommo.fake_server import FakeKommo
from salesscope.cli.app import app as cli_app
from salesscope.connectors.kommo import webhooks
from salesscope.connectors.kommo.ids import stage_key
from salesscope.connectors.kommo.sync import sync
from salesscope.connectors.kommo.targeted import WebhookInbox, fetch_changes
from salesscope.warehouse.store import Warehouse

SECRET = "hook-secret-0123456789abcdef"
SAMPLE = (Path(__file__).parent / "samples" / "webhook_lead_status_form.txt").read_bytes().strip()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def served() -> Iterator[tuple[str, WebhookInbox]]:
    """The router on its own app, in a real uvicorn server; yields (base URL, inbox)."""
    inbox = WebhookInbox()
    app = FastAPI()
    app.include_router(webhooks.kommo_webhook_router(SECRET, inbox.put))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", inbox
    server.should_exit = True
    thread.join(5)


def test_kommo_s_sample_is_accepted_within_2_seconds(served: tuple[str, WebhookInbox]) -> None:
    url, inbox = served
    began = time.monotonic()
    answer = httpx.post(f"{url}/hooks/kommo/{SECRET}", content=SAMPLE, headers=FORM)
    assert answer.status_code == 200 and time.monotonic() - began < 2.0
    assert answer.json()["accepted"]["leads"] == 1
    notice = inbox.take()
    assert notice is not None and notice.leads == {10701093} and notice.subdomain == "apfitness"


def test_companies_arrive_under_contacts_and_tasks_name_their_lead(served: tuple[str, WebhookInbox]) -> None:
    url, inbox = served
    body = urlencode({
        "contacts[update][0][id]": "501", "contacts[update][0][type]": "company",
        "contacts[add][0][id]": "502", "contacts[add][0][type]": "contact",
        "task[update][0][id]": "9001", "task[update][0][element_id]": "777", "task[update][0][element_type]": "2",
        "leads[delete][0][id]": "778", "account[subdomain]": "kyivsales", "account[id]": "29001234",
    })
    assert httpx.post(f"{url}/hooks/kommo/{SECRET}", content=body, headers=FORM).status_code == 200
    notice = inbox.take()
    assert notice is not None
    assert (notice.companies, notice.contacts, notice.tasks, notice.leads, notice.deleted_leads) == (
        {501}, {502}, {9001}, {777}, {778})


def test_an_unknown_secret_is_404(served: tuple[str, WebhookInbox]) -> None:
    url, inbox = served
    assert httpx.post(f"{url}/hooks/kommo/guess", content=SAMPLE, headers=FORM).status_code == 404
    assert httpx.post(f"{url}/hooks/kommo/", content=SAMPLE, headers=FORM).status_code == 404
    assert inbox.take() is None


@pytest.mark.parametrize(("body", "headers", "why"), [
    (b"leads[status][0][id]=abc&account[subdomain]=x", FORM, "without a numeric id"),
    (b"leads[status][0][id]=1&leads[status][0][id]=2", FORM, "given twice"),
    (b"leads[status]=1&leads[status][0][id]=2", FORM, "conflicts"),
    (b"account[subdomain]=kyivsales", FORM, "no entity section"),
    (b"%%%=&&", FORM, "not form-encoded"),
    (b"leads[status][0][id]=\xff", FORM, "not UTF-8"),
    (b"leads]=1", FORM, "malformed field name"),
    (json.dumps({"leads": {"status": [{"id": "1"}]}}).encode(), {"Content-Type": "application/json"},
     "expected application/x-www-form-urlencoded"),
])
def test_a_malformed_body_is_400_and_nothing_is_passed_on(served: tuple[str, WebhookInbox], body: bytes,
                                                          headers: dict[str, str], why: str) -> None:
    url, inbox = served
    answer = httpx.post(f"{url}/hooks/kommo/{SECRET}", content=body, headers=headers)
    assert answer.status_code == 400 and why in answer.json()["detail"]
    assert inbox.take() is None


def test_a_stage_change_reaches_the_reports_through_a_webhook(fake: FakeKommo, served: tuple[str, WebhookInbox],
                                                              tmp_path: Path) -> None:
    url, inbox = served
    wh = Warehouse.open(tmp_path / "w.duckdb")
    with client_for(fake) as client:
        sync(wh, client)
    lead = next(v for v in fake.account.leads.values() if v["status_id"] == 10014)
    fake.move_lead(lead["id"], 10015, by=lead["responsible_user_id"])
    changed = time.monotonic()
    form = urlencode({"leads[status][0][id]": str(lead["id"]), "leads[status][0][status_id]": "10015",
                      "leads[status][0][old_status_id]": "10014", "leads[status][0][pipeline_id]": "1001",
                      "account[subdomain]": "kyivsales", "account[id]": "29001234"})
    assert httpx.post(f"{url}/hooks/kommo/{SECRET}", content=form, headers=FORM).status_code == 200
    notice = inbox.take()
    assert notice is not None
    requests_before = len(fake.log)
    with client_for(fake) as client:
        written = fetch_changes(wh, client, notice)
    assert len(fake.log) - requests_before == 6  # account, users, pipelines, loss reasons, the lead, its events
    assert written["deals"] == 1 and written["deal_stage_changes"] >= 1
    deals = wh.table("deals")
    assert deals.filter(deals.id == lead["id"]).stage_id.to_pyarrow().to_pylist() == [stage_key(1001, 10015)]
    progress = wh.table("deal_progress")
    assert progress.filter(progress.deal_id == lead["id"]).last_open_stage_id.to_pyarrow().to_pylist() == [
        stage_key(1001, 10015)]
    assert time.monotonic() - changed < 60
    before = wh.counts()
    with client_for(fake) as client:
        sync(wh, client)  # the scheduled sync reads the same change again: nothing doubles
    assert wh.counts() == before
    wh.close()


def test_the_server_s_discovery_hook_gives_a_router() -> None:
    router = webhooks.make_router(lambda: None)  # type: ignore[arg-type,return-value]
    assert isinstance(router, APIRouter)
    assert [r.path for r in router.routes] == ["/hooks/kommo/{token}"]  # type: ignore[attr-defined]


def test_install_registers_the_webhook_once(fake: FakeKommo, home: Path) -> None:
    runner = CliRunner()
    sample = json.loads((Path(__file__).parent / "samples" / "webhooks_list.json").read_text())
    fake.webhooks = sample["_embedded"]["webhooks"]  # two webhooks of other integrations
    connected = runner.invoke(cli_app, ["connect", "kommo", "--base-url", fake.url], env={"KOMMO_TOKEN": TOKEN})
    assert connected.exit_code == 0
    first = runner.invoke(cli_app, ["kommo", "webhooks", "install", "--url", "https://sales.example.com/"])
    assert first.exit_code == 0, first.output
    secret = json.loads((home / "secrets.json").read_text())["kommo_webhook"]["secret"]
    mine = [w for w in fake.webhooks if w["destination"] == f"https://sales.example.com/hooks/kommo/{secret}"]
    assert len(mine) == 1 and "status_lead" in mine[0]["settings"] and len(fake.webhooks) == 3
    assert secret not in first.output and "https://sales.example.com/hooks/kommo/***" in first.output
    again = runner.invoke(cli_app, ["kommo", "webhooks", "install", "--url", "https://sales.example.com"])
    assert again.exit_code == 0 and "Already registered" in again.output and len(fake.webhooks) == 3
    bad = runner.invoke(cli_app, ["kommo", "webhooks", "install", "--url", "sales.example.com"])
    assert bad.exit_code == 2 and "malformed --url 'sales.example.com'" in bad.stderr
