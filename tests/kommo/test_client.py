"""The HTTP client against the fake over real HTTP: paging, limits, failures, auth."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kommo.conftest import FAST, client_for
from kommo.fake_server import FakeKommo
from salesscope.connectors.kommo.auth import NoCredentials, OAuthTokens, exchange_code
from salesscope.connectors.kommo.client import ClientOptions, KommoClient
from salesscope.connectors.kommo.errors import (
    KommoAuthError,
    KommoForbidden,
    KommoPaymentRequired,
    KommoRateLimited,
    KommoResponseError,
    KommoUnavailable,
)
from salesscope.connectors.kommo.ratelimit import RateLimiter
from salesscope.connectors.kommo.reference import collect
from salesscope.secrets import SecretStore

TOO_MANY = {"title": "Too Many Requests", "type": "https://httpstatus.es/429", "status": 429,
            "detail": "You have sent too many requests", "retry_after": 1}
CLIENT = ("integration-1", "client-secret-abcdef", "https://crm.example/cb")


def test_paging_follows_next_on_short_pages_and_ends_on_204(start_fake: Callable[..., FakeKommo]) -> None:
    fake = start_fake(short_pages=True)
    with client_for(fake) as client:
        leads = collect(client, "/api/v4/leads?limit=50&order[id]=asc", "leads")
        assert [lead["id"] for lead in leads] == sorted(fake.account.leads)
        sizes = [len(client.page(f"/api/v4/leads?limit=50&page={n}", "leads").items) for n in (1, 2)]
        assert sizes == [50, 49]  # a short page that is not the last one
        past_end = client.page("/api/v4/leads?limit=50&page=999", "leads")
        assert (past_end.items, past_end.next_link) == ([], None)
    assert fake.statuses()[-1] == 204
    # next links name https://kyivsales.kommo.com; every request still went to the fake
    assert all(entry.path.startswith("/api/v4/") for entry in fake.log)


def test_events_limit_above_100_falls_back_to_50(fake: FakeKommo) -> None:
    with client_for(fake) as client:
        assert len(client.page("/api/v4/events?limit=250", "events").items) == 50
        assert len(client.page("/api/v4/events?limit=100", "events").items) == 100


def test_429_waits_retry_after(fake: FakeKommo) -> None:
    fake.script.append((429, TOO_MANY))
    with client_for(fake) as client:
        began = time.monotonic()
        assert client.get("/api/v4/account")["id"] == fake.account.account["id"]  # type: ignore[index]
        assert time.monotonic() - began >= 1.0
    assert fake.statuses() == [429, 200]


def test_endless_429_stops_before_kommo_blocks_the_account(fake: FakeKommo) -> None:
    fake.script.extend([(429, TOO_MANY | {"retry_after": 0})] * 10)
    with client_for(fake) as client, pytest.raises(KommoRateLimited, match="does not block the account"):
        client.get("/api/v4/account")
    assert fake.statuses() == [429] * 6


def test_5xx_and_slow_answers_are_retried(fake: FakeKommo) -> None:
    fake.script.extend([(500, {"title": "ErrInternalServer", "status": 500}), (502, "<html>Bad Gateway</html>"),
                        (504, {"title": "Gateway Timeout", "status": 504}), ("slow", 0.6)])
    options = ClientOptions(rate=1000, timeout_s=0.3, backoff_base_s=0.01, backoff_cap_s=0.02)
    with client_for(fake, options) as client:
        assert client.get("/api/v4/account") is not None
        assert (client.stats.retries, client.stats.timeouts) == (4, 1)
    assert fake.statuses() == [500, 502, 504, 200, 200]  # the slow answer came too late


def test_retries_end_with_a_clear_message(fake: FakeKommo) -> None:
    fake.script.extend([(503, {"status": 503})] * 10)
    with client_for(fake) as client, pytest.raises(KommoUnavailable, match=r"/api/v4/leads after 7 tries"):
        client.get("/api/v4/leads")


def test_bad_long_lived_token_is_one_request_and_a_clear_error(fake: FakeKommo) -> None:
    with client_for(fake, token="wrong-token-zzzzzz") as client, \
            pytest.raises(KommoAuthError, match=r"Invalid user name or password.*expired or was revoked"):
        client.get("/api/v4/leads")
    assert fake.statuses() == [401]


@pytest.mark.parametrize(("status", "error", "words"), [
    (402, KommoPaymentRequired, "paid or trial period has ended"),
    (403, KommoForbidden, "API access is blocked"),
])
def test_402_and_403_stop_at_once(fake: FakeKommo, status: int, error: type[Exception], words: str) -> None:
    fake.refuse = (status, {"title": "x", "status": status, "detail": "Payment required"})
    with client_for(fake) as client, pytest.raises(error, match=words):
        client.get("/api/v4/leads")
    assert fake.statuses() == [status]


def test_other_problems_name_kommo_s_detail(fake: FakeKommo) -> None:
    fake.script.append((422, {"title": "Unprocessable Entity", "status": 422, "detail": "Limit 250 per page"}))
    with client_for(fake) as client, pytest.raises(KommoResponseError, match=r"422.*Limit 250 per page"):
        client.get("/api/v4/leads?limit=500")


def test_default_rate_stays_under_kommo_s_7_per_second(start_fake: Callable[..., FakeKommo]) -> None:
    fake = start_fake(rate_limit=7)
    options = ClientOptions()  # the default 6.5 requests/s
    with KommoClient(fake.url, client_for(fake).credentials, options, RateLimiter(options.rate)) as client:
        client.get("/api/v4/account")
        began = time.monotonic()
        for _ in range(26):
            client.get("/api/v4/account")
        rate = 26 / (time.monotonic() - began)
    assert 429 not in fake.statuses()
    assert 6.2 < rate <= 6.55


def test_a_client_faster_than_7_per_second_recovers_from_429(start_fake: Callable[..., FakeKommo]) -> None:
    fake = start_fake(rate_limit=7, retry_after=1)
    with client_for(fake) as client:
        for _ in range(12):
            client.get("/api/v4/account")
    assert fake.statuses().count(200) == 12 and 429 in fake.statuses()


# -- OAuth -----------------------------------------------------------------------------------------

def _oauth(fake: FakeKommo, store: SecretStore) -> None:
    with KommoClient(fake.url, NoCredentials(), FAST, RateLimiter(1000)) as bare:
        pair = exchange_code(bare.post_token, CLIENT[0], CLIENT[1], CLIENT[2], fake.new_code(CLIENT[0]))
    store.put_section("kommo", pair)


def _oauth_client(fake: FakeKommo, store: SecretStore) -> KommoClient:
    return KommoClient(fake.url, OAuthTokens(store), FAST, RateLimiter(1000))


@pytest.fixture
def oauth_fake(start_fake: Callable[..., FakeKommo]) -> FakeKommo:
    return start_fake(token=None, clients={CLIENT[0]: (CLIENT[1], CLIENT[2])})


def test_expired_access_token_is_refreshed_once_and_the_pair_stored_first(oauth_fake: FakeKommo,
                                                                          tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    _oauth(oauth_fake, store)
    first = store.section("kommo")
    with _oauth_client(oauth_fake, store) as client:
        client.get("/api/v4/account")
        oauth_fake.access[first["access_token"]].expires_at = 0  # Kommo's 24 hours have passed
        client.get("/api/v4/account")
    second = store.section("kommo")
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert [(e.path, e.status) for e in oauth_fake.log][1:] == [
        ("/api/v4/account", 200), ("/api/v4/account", 401), ("/oauth2/access_token", 200), ("/api/v4/account", 200)]
    assert first["refresh_token"] in oauth_fake.revoked  # single-use: spent once the new pair was used
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_reused_refresh_token_is_revoked_with_a_clear_error(oauth_fake: FakeKommo, tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    _oauth(oauth_fake, store)
    stale = store.section("kommo")
    with _oauth_client(oauth_fake, store) as client:
        oauth_fake.access[stale["access_token"]].expires_at = 0
        client.get("/api/v4/account")  # refreshes and uses the new pair: the old refresh token is spent
    store.put_section("kommo", stale | {"expires_at": 0})  # e.g. a backup of the secrets restored
    with _oauth_client(oauth_fake, store) as client, pytest.raises(KommoAuthError, match="Token has been revoked"):
        client.get("/api/v4/account")


def test_a_second_process_adopts_the_pair_another_one_rotated(oauth_fake: FakeKommo, tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    _oauth(oauth_fake, store)
    first = store.section("kommo")
    server, cli = _oauth_client(oauth_fake, store), _oauth_client(oauth_fake, store)
    oauth_fake.access[first["access_token"]].expires_at = 0
    server.get("/api/v4/account")  # refreshes
    cli.get("/api/v4/account")  # 401 with the old access token: adopts the stored pair, no refresh
    assert [e.path for e in oauth_fake.log].count("/oauth2/access_token") == 2  # the code, one refresh
    server.close()
    cli.close()


def test_access_token_near_expiry_is_refreshed_before_the_call(oauth_fake: FakeKommo, tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    _oauth(oauth_fake, store)
    store.put_section("kommo", store.section("kommo") | {"expires_at": int(time.time()) + 30})
    with _oauth_client(oauth_fake, store) as client:
        client.get("/api/v4/account")
    assert [e.status for e in oauth_fake.log][1:] == [200, 200]  # refresh, then the call: no 401
