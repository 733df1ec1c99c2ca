"""``sync`` against the fake over real HTTP: the canonical tables, increments, deletions, engines."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kommo.conftest import client_for
from kommo.fake_account import KommoAccount
from kommo.fake_server import FakeKommo, Logged
from kommo.truth import calls_from_fake, calls_from_warehouse, canonical_rows, funnel_by_manager
from salesscope.connectors.kommo.errors import KommoError
from salesscope.connectors.kommo.ids import stage_key, unix
from salesscope.connectors.kommo.state import read
from salesscope.connectors.kommo.streams import EVENTS_PAGE
from salesscope.connectors.kommo.sync import DEFAULT_OVERLAP_S, sync
from salesscope.warehouse.store import Warehouse

from conftest import postgres_url_or_skip

SERHIY = 201


def synced(fake: FakeKommo, path: Path) -> Warehouse:
    wh = Warehouse.open(path)
    with client_for(fake) as client:
        sync(wh, client)
    return wh


def truth_warehouse(fake: FakeKommo, path: Path) -> Warehouse:
    wh = Warehouse.open(path)
    wh.replace(fake.account.truth)
    return wh


@pytest.fixture(scope="module")
def first_sync(kommo_account: KommoAccount,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, FakeKommo]]:
    """One clean sync, shared: its warehouse file (closed) and the fake it came from."""
    fake = FakeKommo(kommo_account.copy()).start()
    path = tmp_path_factory.mktemp("first") / "w.duckdb"
    synced(fake, path).close()
    yield path, fake
    fake.stop()


@pytest.fixture
def wh(first_sync: tuple[Path, FakeKommo]) -> Iterator[Warehouse]:
    """The shared clean sync, read-only."""
    with Warehouse.open(first_sync[0], read_only=True) as opened:
        yield opened


@pytest.fixture
def synced_copy(first_sync: tuple[Path, FakeKommo], tmp_path: Path) -> Iterator[Warehouse]:
    """A copy of the clean sync this test may change (with a fresh fake of the same account)."""
    shutil.copy(first_sync[0], tmp_path / "w.duckdb")
    with Warehouse.open(tmp_path / "w.duckdb") as opened:
        yield opened


def test_a_clean_sync_equals_the_fake_s_own_data(wh: Warehouse, first_sync: tuple[Path, FakeKommo],
                                                 tmp_path: Path) -> None:
    fake = first_sync[1]
    truth = truth_warehouse(fake, tmp_path / "truth.duckdb")
    assert funnel_by_manager(wh) == funnel_by_manager(truth)
    assert calls_from_warehouse(wh) == calls_from_fake(fake.account)
    counts = wh.counts()
    # A lead deleted before the first sync comes back as a tombstone rebuilt from its events.
    assert counts["deals"] == len(fake.account.leads) + len(fake.account.deleted_leads)
    assert counts["deal_stage_changes"] == fake.account.truth["deal_stage_changes"].num_rows
    assert counts["activities"] == len(fake.account.events)
    assert counts["calls"] == sum(len(n) for n in fake.account.notes.values())
    assert counts["contacts"] == len(fake.account.contacts) + len(fake.account.companies)
    assert counts["stages"] == 13 and counts["teams"] == 3
    account = wh.account()
    assert account is not None
    assert (account.timezone, account.currency, account.base_url) == (
        "Europe/Kyiv", "UAH", "https://kyivsales.kommo.com")


def test_every_deal_field_survives_the_round_trip(wh: Warehouse, kommo_account: KommoAccount) -> None:
    """Lead fields, embedded contact or company, tags, loss reason, source and UTM by field code."""
    fields = ("id", "name", "amount", "currency", "pipeline_id", "owner_id", "contact_id", "created_at",
              "updated_at", "closed_at", "loss_reason", "source", "utm_source", "utm_medium", "utm_campaign",
              "utm_content", "tags", "deleted")
    truth = [{k: d[k] for k in fields} for d in kommo_account.truth["deals"].to_pylist() if not d["deleted"]]
    got = [{k: d[k] for k in fields} for d in wh.table("deals").to_pyarrow().to_pylist() if not d["deleted"]]
    assert sorted(got, key=lambda d: d["id"]) == sorted(truth, key=lambda d: d["id"])
    assert sum(1 for d in got if d["utm_source"]) > 100 and sum(1 for d in got if d["tags"]) > 20


def test_every_call_survives_the_round_trip(wh: Warehouse, kommo_account: KommoAccount) -> None:
    """Call notes: direction, duration, status (call_status codes), recording link, author, phone."""
    fields = ("id", "direction", "duration_s", "status", "recording_url", "at", "author_id", "phone")
    truth = sorted(tuple(c[k] for k in fields) for c in kommo_account.truth["calls"].to_pylist())
    got = wh.table("calls").to_pyarrow().to_pylist()
    assert sorted(tuple(c[k] for k in fields) for c in got) == truth
    on_contacts = [c for c in got if c["contact_id"] is not None]  # every 10th is logged on the contact
    assert on_contacts and all(c["deal_id"] is None and c["id"] % 10 == 0 for c in on_contacts)


def test_won_and_lost_are_keyed_per_pipeline(wh: Warehouse) -> None:
    ends = sorted((s["pipeline_id"], s["crm_id"], s["kind"], s["id"])
                  for s in wh.rows("stages") if s["crm_id"] in (142, 143))
    assert ends == [(1001, 142, "won", stage_key(1001, 142)), (1001, 143, "lost", stage_key(1001, 143)),
                    (1002, 142, "won", stage_key(1002, 142)), (1002, 143, "lost", stage_key(1002, 143))]


def test_every_stage_move_is_kept_with_its_stages(wh: Warehouse, kommo_account: KommoAccount) -> None:
    fake = FakeKommo(kommo_account)  # not started: only its account is read
    demo_stage = {s["id"]: stage_key(s["pipeline_id"], s["crm_id"]) for s in fake.account.truth["stages"].to_pylist()}
    expected = sorted((c["deal_id"], demo_stage[c["from_stage_id"]], demo_stage[c["to_stage_id"]], c["at"],
                       c["by_user_id"]) for c in fake.account.truth["deal_stage_changes"].to_pylist())
    got = sorted((c["deal_id"], c["from_stage_id"], c["to_stage_id"], c["at"], c["by_user_id"])
                 for c in wh.table("deal_stage_changes").to_pyarrow().to_pylist())
    assert got == expected


def test_events_are_read_100_per_page(first_sync: tuple[Path, FakeKommo]) -> None:
    fake = first_sync[1]
    pages = [e for e in fake.log if e.path == "/api/v4/events" and e.status == 200]
    assert {dict(e.query)["limit"] for e in pages} == {str(EVENTS_PAGE)}
    assert len(pages) == -(-len(fake.account.events) // EVENTS_PAGE)


def test_an_unchanged_account_costs_at_most_15_requests_and_changes_nothing(fake: FakeKommo,
                                                                            synced_copy: Warehouse) -> None:
    wh = synced_copy
    before = canonical_rows(wh)
    with client_for(fake) as client:
        report = sync(wh, client)
    assert report.requests <= 15 and not report.resumed
    assert canonical_rows(wh) == before


def test_cursors_never_pass_the_run_start(wh: Warehouse) -> None:
    state = read(wh)
    assert state.started_at is not None and not state.unfinished
    start = unix(state.started_at)
    for name in ("leads", "contacts", "tasks", "calls", "events"):
        since = state.streams[name].since
        assert since is not None and since <= start - DEFAULT_OVERLAP_S, name


def test_a_moved_lead_reaches_the_warehouse_on_the_next_sync(fake: FakeKommo, synced_copy: Warehouse) -> None:
    wh = synced_copy
    lead = next(v for v in fake.account.leads.values() if v["status_id"] == 10014 and v["responsible_user_id"])
    fake.move_lead(lead["id"], 142, by=lead["responsible_user_id"])
    with client_for(fake) as client:
        report = sync(wh, client)
    assert report.requests <= 15
    deal = wh.table("deals").filter(wh.table("deals").id == lead["id"]).to_pyarrow().to_pylist()[0]
    assert deal["stage_id"] == stage_key(1001, 142) and deal["closed_at"] is not None
    moves = wh.table("deal_stage_changes")
    last = moves.filter(moves.deal_id == lead["id"]).order_by(moves.at.desc()).limit(1).to_pyarrow().to_pylist()[0]
    assert (last["from_stage_id"], last["to_stage_id"]) == (stage_key(1001, 10014), stage_key(1001, 142))
    progress = wh.table("deal_progress")
    assert progress.filter(progress.deal_id == lead["id"]).outcome.to_pyarrow().to_pylist() == ["won"]


def test_a_deleted_lead_leaves_the_reports_but_its_actions_stay(fake: FakeKommo, synced_copy: Warehouse) -> None:
    wh = synced_copy
    acts = wh.table("activities")
    lead_id = next(i for i, lead in fake.account.leads.items()
                   if lead["responsible_user_id"] == SERHIY and lead["pipeline_id"] == 1001)
    actions = acts.filter(acts.deal_id == lead_id).count().to_pyarrow().as_py()
    funnel_before = funnel_by_manager(wh)
    fake.delete_lead(lead_id, by=SERHIY)
    with client_for(fake) as client:
        sync(wh, client)
    deals = wh.table("deals")
    assert deals.filter(deals.id == lead_id).deleted.to_pyarrow().to_pylist() == [True]
    assert acts.filter(acts.deal_id == lead_id).count().to_pyarrow().as_py() == actions + 1  # + the deletion
    first = ("Sales", SERHIY, "New lead")  # every deal reaches the first stage
    assert funnel_by_manager(wh)[first][0] == funnel_before[first][0] - 1


def test_a_lead_deleted_mid_sync_cannot_hide_another_one(fake: FakeKommo, tmp_path: Path) -> None:
    """Deleting a lead of page 1 while page 2 is due shifts page 2 by one: its first lead is skipped
    by this run, so the run must not move the leads cursor, and the next run reads it."""
    ids = sorted(fake.account.leads)
    assert len(ids) > 250
    skipped = ids[250]  # first of page 2, until a lead of page 1 goes

    def delete_after_page_1(entry: Logged) -> None:
        if entry.path == "/api/v4/leads" and dict(entry.query).get("page") is None and fake.after_request:
            fake.after_request = None
            fake.delete_lead(ids[0], by=SERHIY)

    fake.after_request = delete_after_page_1
    wh = Warehouse.open(tmp_path / "w.duckdb")
    with client_for(fake) as client:
        sync(wh, client)
        deals = wh.table("deals")
        assert deals.filter(deals.id == skipped).count().to_pyarrow().as_py() == 0  # the shift happened
        assert read(wh).streams["leads"].since is None  # so the window stays where it was
        sync(wh, client)
    assert deals.filter(deals.id == skipped).count().to_pyarrow().as_py() == 1
    assert set(deals.filter(~deals.deleted).id.to_pyarrow().to_pylist()) == set(fake.account.leads)
    wh.close()


def test_a_warehouse_of_another_account_is_refused(fake: FakeKommo, tmp_path: Path) -> None:
    wh = truth_warehouse(fake, tmp_path / "demo.duckdb")  # the demo account (crm = demo)
    with client_for(fake) as client, pytest.raises(KommoError, match="holds another account"):
        sync(wh, client)
    assert wh.counts()["deals"] == fake.account.truth["deals"].num_rows


def test_a_full_sync_reads_everything_again_and_changes_nothing(fake: FakeKommo, synced_copy: Warehouse,
                                                                first_sync: tuple[Path, FakeKommo]) -> None:
    wh = synced_copy
    before = canonical_rows(wh)
    with client_for(fake) as client:
        report = sync(wh, client, full=True)
    assert report.full and report.requests == len(first_sync[1].log)
    assert canonical_rows(wh) == before


@pytest.mark.postgres
def test_postgresql_gets_the_same_rows_as_duckdb(start_fake: Callable[..., FakeKommo], wh: Warehouse) -> None:
    url = postgres_url_or_skip()
    duck = wh
    schema = f"salesscope_kommo_{uuid.uuid4().hex[:10]}"
    pg = Warehouse.postgres(url, schema)
    try:
        with client_for(start_fake()) as client:
            sync(pg, client)
        assert canonical_rows(pg) == canonical_rows(duck)
        assert funnel_by_manager(pg) == funnel_by_manager(duck)
    finally:
        pg.engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        pg.close()


def test_times_are_utc(wh: Warehouse, kommo_account: KommoAccount) -> None:
    fake = FakeKommo(kommo_account)
    note = min((n for notes in fake.account.notes.values() for n in notes.values()), key=lambda n: n["id"])
    calls = wh.table("calls")
    at = calls.filter(calls.id == note["id"]).at.to_pyarrow().to_pylist()[0]
    assert at == dt.datetime.fromtimestamp(note["created_at"], dt.UTC).replace(tzinfo=None)
