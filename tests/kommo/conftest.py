"""Fixtures of the Kommo connector tests: a fake Kommo on 127.0.0.1 serving a demo-built account.

The account is built once per session (one deal in 40 of the demo account, with everything that
belongs to it); every test gets its own copy and its own server, so tests may change "Kommo".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kommo.fake_account import KommoAccount, build_account
from kommo.fake_server import FakeKommo, FakeOptions
from salesscope.connectors.kommo.auth import LongLivedToken
from salesscope.connectors.kommo.client import ClientOptions, KommoClient
from salesscope.connectors.kommo.ratelimit import RateLimiter

TOKEN = "long-lived-token-0123456789"
FAST = ClientOptions(rate=1000.0, timeout_s=5.0, backoff_base_s=0.01, backoff_cap_s=0.05)
"""Client options for tests: no rate limit to speak of, tiny backoffs."""


@pytest.fixture(scope="session")
def kommo_account() -> KommoAccount:
    return build_account(every=40)


@pytest.fixture
def start_fake(kommo_account: KommoAccount) -> Iterator[Callable[..., FakeKommo]]:
    """Start a fake Kommo with its own copy of the account: ``start_fake(rate_limit=7, ...)``."""
    started: list[FakeKommo] = []

    def start(**options: object) -> FakeKommo:
        fake = FakeKommo(kommo_account.copy(), FakeOptions(**options)).start()  # type: ignore[arg-type]
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
        assert not fake.errors, fake.errors


@pytest.fixture
def fake(start_fake: Callable[..., FakeKommo]) -> FakeKommo:
    return start_fake()


def client_for(fake: FakeKommo, options: ClientOptions = FAST, token: str = TOKEN) -> KommoClient:
    return KommoClient(fake.url, LongLivedToken(token), options, RateLimiter(options.rate))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty $SALESSCOPE_HOME for commands that read config.toml and secrets.json."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("SALESSCOPE_HOME", str(folder))
    monkeypatch.delenv("SALESSCOPE_DB", raising=False)
    return folder
