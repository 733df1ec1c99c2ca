"""The configured Kommo connection: ``[kommo]`` in config.toml plus the token in secrets.json.

``connect kommo`` writes both; ``sync``, ``status``, ``kommo webhooks install`` and the server's
scheduled sync read them through ``load_connection`` and ``open_client``. ``run_configured_sync``
is the one call a server job needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from salesscope import config
from salesscope.connectors.kommo.auth import SECTION, Credentials, LongLivedToken, OAuthTokens
from salesscope.connectors.kommo.client import ClientOptions, KommoClient
from salesscope.connectors.kommo.errors import KommoNotConnected
from salesscope.connectors.kommo.ratelimit import DEFAULT_RATE, KOMMO_CEILING
from salesscope.connectors.kommo.sync import DEFAULT_OVERLAP_S, SyncProgress, SyncReport, sync
from salesscope.secrets import SecretStore
from salesscope.warehouse.store import Warehouse

DOMAINS = ("kommo.com", "amocrm.ru", "amocrm.com")
_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
NOT_CONNECTED = "Kommo is not connected: run `salesscope connect kommo --subdomain NAME` first"


@dataclass(frozen=True)
class KommoConnection:
    """Where the account's API is, how to authenticate, and how politely to call it."""

    base_url: str
    """API root, e.g. https://acme.kommo.com (or any root given with --base-url)."""
    auth: str
    """token (a long-lived token) or oauth."""
    web_root: str | None = None
    """Web address of the account, for links to deal cards; None = https://SUB.kommo.com."""
    rate_limit: float = DEFAULT_RATE
    timeout_s: float = 30.0
    overlap_s: int = DEFAULT_OVERLAP_S
    account_id: int | None = None
    account_name: str | None = None

    def settings(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "auth": self.auth, "web_root": self.web_root,
                "rate_limit": self.rate_limit, "timeout_s": self.timeout_s, "overlap_s": self.overlap_s,
                "account_id": self.account_id, "account_name": self.account_name}


def api_root(subdomain: str | None, domain: str, base_url: str | None) -> tuple[str, str | None]:
    """(API root, web root) from ``--subdomain``/``--domain`` or ``--base-url``."""
    if (subdomain is None) == (base_url is None):
        raise ValueError("give either --subdomain NAME or --base-url URL")
    if base_url is not None:
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", base_url):
            raise ValueError(f"malformed --base-url {base_url!r}; valid: an http(s) URL such as "
                             "https://acme.kommo.com")
        return base_url.rstrip("/"), None
    assert subdomain is not None
    if domain not in DOMAINS:
        raise ValueError(f"unknown --domain {domain!r}; valid: {', '.join(DOMAINS)}")
    name = subdomain.strip().lower()
    if not _SUBDOMAIN.match(name):
        raise ValueError(f"malformed --subdomain {subdomain!r}; valid: the NAME of NAME.{domain} "
                         "(letters, digits and dashes)")
    root = f"https://{name}.{domain}"
    return root, root


def is_kommo_host(base_url: str) -> bool:
    """Whether the API root is Kommo's own (then its 7 requests/s ceiling applies)."""
    host = urlsplit(base_url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in DOMAINS)


def check_rate(rate: float, base_url: str) -> float:
    """A positive rate, below Kommo's ceiling on Kommo's hosts (a proxy or test server may differ)."""
    ceiling = KOMMO_CEILING if is_kommo_host(base_url) else float("inf")
    if not 0 < rate < ceiling:
        raise ValueError(f"rate limit {rate:g} is not allowed; valid: more than 0 and below "
                         f"Kommo's {KOMMO_CEILING:g} requests per second")
    return rate


def load_connection(home: Path | None = None) -> KommoConnection:
    """The connection saved by ``connect kommo``; ``KommoNotConnected`` when there is none."""
    settings = config.section("kommo", home)
    if not settings.get("base_url"):
        raise KommoNotConnected(NOT_CONNECTED)
    try:
        return KommoConnection(
            base_url=str(settings["base_url"]),
            auth=str(settings.get("auth", "token")),
            web_root=settings.get("web_root"),
            rate_limit=check_rate(float(settings.get("rate_limit", DEFAULT_RATE)), str(settings["base_url"])),
            timeout_s=float(settings.get("timeout_s", 30.0)),
            overlap_s=int(settings.get("overlap_s", DEFAULT_OVERLAP_S)),
            account_id=settings.get("account_id"),
            account_name=settings.get("account_name"),
        )
    except (TypeError, ValueError) as exc:
        raise config.ConfigError(f"{config.config_path(home)} [kommo]: {exc}") from None


def save_connection(connection: KommoConnection, home: Path | None = None) -> Path:
    return config.save_section("kommo", connection.settings(), home)


def credentials(connection: KommoConnection, store: SecretStore) -> Credentials:
    """The stored token (long-lived) or OAuth pair for the connection."""
    if connection.auth == "oauth":
        return OAuthTokens(store)
    token = store.section(SECTION).get("token")
    if not token:
        raise KommoNotConnected(f"no Kommo token in {store.path}: run `salesscope connect kommo` again")
    return LongLivedToken(str(token))


def open_client(connection: KommoConnection, store: SecretStore | None = None,
                options: ClientOptions | None = None) -> KommoClient:
    store = store or SecretStore()
    options = options or ClientOptions(rate=connection.rate_limit, timeout_s=connection.timeout_s)
    return KommoClient(connection.base_url, credentials(connection, store), options)


def run_configured_sync(wh: Warehouse, full: bool = False, progress: SyncProgress | None = None,
                        home: Path | None = None) -> SyncReport:
    """Sync the warehouse with the connected account (what a server's scheduled job calls)."""
    connection = load_connection(home)
    with open_client(connection, SecretStore(home)) as client:
        # lean=False: the server's report queries share the DuckDB settings a lean sync would set.
        return sync(wh, client, full=full, progress=progress, overlap_s=connection.overlap_s,
                    web_root=connection.web_root, lean=False)
