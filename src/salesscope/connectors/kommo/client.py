"""The HTTP client for one Kommo account: polite (rate limit, ``retry_after``) and unbreakable.

Every request waits for the shared rate limiter. 429 waits ``retry_after`` and tries again (a
few times, then stops: Kommo blocks accounts that keep hammering); 5xx answers, timeouts and
dropped connections are retried with jittered exponential backoff; 401 gets one token refresh;
402 and 403 stop at once with a message saying why. Errors carry Kommo's problem+json title and
detail, never a header, a token or a request body.

Links Kommo returns (``_links.next``) are followed by path and query only, on the configured API
root: a link naming another host can neither redirect the sync nor receive the token.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from salesscope.connectors.kommo.auth import Credentials
from salesscope.connectors.kommo.errors import (
    KommoAuthError,
    KommoForbidden,
    KommoPaymentRequired,
    KommoRateLimited,
    KommoResponseError,
    KommoUnavailable,
)
from salesscope.connectors.kommo.ratelimit import DEFAULT_RATE, RateLimiter, shared_limiter
from salesscope.secrets import REDACTOR

log = logging.getLogger("salesscope.kommo")

Params = Sequence[tuple[str, str | int]]
RETRIED_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class ClientOptions:
    """How hard to try; tests shrink the waits, users may lower the rate."""

    rate: float = DEFAULT_RATE
    """Requests per second, shared by every process on this machine that talks to the account
    (``ratelimit.shared_limiter``; Kommo's ceiling is 7)."""
    timeout_s: float = 30.0
    max_retries: int = 6
    """Retries of one request after 5xx answers or timeouts before giving up."""
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    max_rate_limited: int = 5
    """429 answers in a row after which the sync stops rather than risk an account block."""
    default_retry_after_s: float = 1.0
    """Wait after a 429 that does not say how long."""


@dataclass
class RequestStats:
    """What the client did, for progress lines and the benchmark."""

    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    retries: int = 0
    timeouts: int = 0
    waited_s: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def count(self, status: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1


@dataclass(frozen=True)
class Page:
    """One answer of a list endpoint: its items and the link to the next page, if any."""

    items: list[dict[str, Any]]
    next_link: str | None
    raw: dict[str, Any]


class KommoClient:
    """GET and POST on one account's API root, e.g. ``https://acme.kommo.com``."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        options: ClientOptions | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.options = options or ClientOptions()
        self.limiter = limiter or shared_limiter(self.base_url, self.options.rate)
        self.stats = RequestStats()
        self._sleep = sleep
        self._random = random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.options.timeout_s),
            headers={"Accept": "application/hal+json, application/json",
                     "User-Agent": "salesscope-kommo-connector"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KommoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the API -------------------------------------------------------------------------------

    def get(self, path: str, params: Params = ()) -> dict[str, Any] | None:
        """GET a path (``/api/v4/...``) or a link Kommo gave; None for 204 No Content."""
        return self._request("GET", link(path, params))

    def post(self, path: str, body: Any) -> dict[str, Any] | None:
        return self._request("POST", path, body=body)

    def page(self, target: str, items_key: str) -> Page:
        """One page of a list: a 204 is an empty last page; the next page is ``_links.next``."""
        data = self.get(target)
        if data is None:
            return Page([], None, {})
        embedded = data.get("_embedded") or {}
        items = embedded.get(items_key) or []
        if not isinstance(items, list):
            raise KommoResponseError(f"Kommo's answer to GET {_path(target)} has no _embedded.{items_key} list")
        nxt = ((data.get("_links") or {}).get("next") or {}).get("href")
        return Page(items, relative(nxt) if nxt else None, data)

    def post_token(self, body: Mapping[str, str]) -> dict[str, Any]:
        """POST ``/oauth2/access_token`` (OAuth code exchange and refresh) without a bearer."""
        answer = self._request("POST", "/oauth2/access_token", body=dict(body), authorize=False)
        if answer is None:
            raise KommoAuthError("Kommo's token endpoint answered with no content")
        return answer

    # -- one request, tried until it is answered ----------------------------------------------

    def _request(self, method: str, target: str, body: Any = None,
                 authorize: bool = True) -> dict[str, Any] | None:
        failures = rate_limited = 0
        refreshed = False
        while True:
            if authorize and self.credentials.needs_refresh():
                self.credentials.refresh(self.post_token)
            response = self._send(method, target, body, authorize)
            if response is None:
                failures = self._after_failure(method, target, failures, "no answer in time")
                continue
            status = response.status_code
            if status == 429:
                rate_limited += 1
                self._after_429(method, target, response, rate_limited)
                continue
            if status in RETRIED_STATUSES:
                failures = self._after_failure(method, target, failures, f"HTTP {status}")
                continue
            if status == 401 and authorize:
                if not refreshed and self.credentials.refresh(self.post_token):
                    refreshed = True
                    continue
                raise KommoAuthError(
                    f"Kommo rejected the token ({_problem(response)}): it expired or was revoked; "
                    "run `salesscope connect kommo` again"
                )
            if status in (400, 401) and not authorize:
                raise KommoAuthError(
                    f"Kommo refused the OAuth token request ({_problem(response)}): the code or "
                    "refresh token expired or was revoked; run `salesscope connect kommo --oauth` again"
                )
            return self._answer(method, target, response)

    def _send(self, method: str, target: str, body: Any, authorize: bool) -> httpx.Response | None:
        self.stats.waited_s += self.limiter.acquire()
        headers = {"Authorization": self.credentials.authorization()} if authorize else {}
        self.stats.requests += 1
        try:
            response = self._http.request(method, target, json=body, headers=headers)
        except httpx.TimeoutException:
            self.stats.timeouts += 1
            return None
        except httpx.TransportError as exc:
            log.debug("Kommo %s %s: %s", method, _path(target), type(exc).__name__)
            return None
        self.stats.count(response.status_code)
        log.debug("Kommo %s %s -> %s", method, _path(target), response.status_code)
        return response

    def _after_failure(self, method: str, target: str, failures: int, what: str) -> int:
        failures += 1
        if failures > self.options.max_retries:
            raise KommoUnavailable(
                f"Kommo did not answer {method} {_path(target)} after {failures} tries (last: {what}); "
                "try again later"
            )
        self.stats.retries += 1
        ceiling = min(self.options.backoff_cap_s, self.options.backoff_base_s * 2 ** (failures - 1))
        wait = self._random.uniform(ceiling / 2, ceiling)
        log.info("Kommo %s %s: %s; retry %d in %.1f s", method, _path(target), what, failures, wait)
        self._sleep(wait)
        return failures

    def _after_429(self, method: str, target: str, response: httpx.Response, count: int) -> None:
        if count > self.options.max_rate_limited:
            raise KommoRateLimited(
                f"Kommo answered 429 Too Many Requests {count} times in a row to {method} "
                f"{_path(target)}; stopped so that Kommo does not block the account. Lower "
                "rate_limit in config.toml if another integration shares it"
            )
        wait = retry_after(response, self.options.default_retry_after_s)
        log.warning("Kommo rate limit hit (429); waiting %.0f s as Kommo asks", wait)
        self.stats.retries += 1
        self.limiter.pause(wait)

    def _answer(self, method: str, target: str, response: httpx.Response) -> dict[str, Any] | None:
        status = response.status_code
        if status == 402:
            raise KommoPaymentRequired(
                "Kommo answered 402 Payment Required: the account's paid or trial period has "
                "ended; the sync stopped. Renew the subscription, then sync again"
            )
        if status == 403:
            raise KommoForbidden(
                f"Kommo answered 403 Forbidden to {method} {_path(target)} ({_problem(response)}): "
                "API access is blocked (too many requests) or the token's user lacks rights; the "
                "sync stopped. Wait before trying again"
            )
        if status == 204:
            return None
        if not 200 <= status < 300:
            raise KommoResponseError(f"Kommo answered {status} to {method} {_path(target)}: {_problem(response)}")
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise KommoResponseError(f"Kommo's answer to {method} {_path(target)} is not JSON") from None
        if not isinstance(data, dict):
            raise KommoResponseError(f"Kommo's answer to {method} {_path(target)} is not a JSON object")
        return data


def link(path: str, params: Params = ()) -> str:
    """A request target: a path plus its query (Kommo's bracketed filter keys, repeated keys)."""
    if not params:
        return path
    sep = "&" if "?" in path else "?"
    return path + sep + urlencode([(k, str(v)) for k, v in params], safe="[]")


def relative(href: str) -> str:
    """The path and query of a link Kommo returned; the host is ours, not the link's."""
    parts = urlsplit(href)
    if not parts.path.startswith("/api/"):
        raise KommoResponseError(f"Kommo returned a next link outside the API: {_path(href)}")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds to wait after a 429: ``retry_after`` in the body, else the header, else default."""
    try:
        body = response.json()
        value = body.get("retry_after") if isinstance(body, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        value = None
    if value is None:
        value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _problem(response: httpx.Response) -> str:
    """Kommo's problem+json title and detail (or the start of a non-JSON body), redacted."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("title", "detail", "hint") if body.get(k)]
        text = ": ".join(parts) or f"HTTP {response.status_code}"
    else:
        text = " ".join(response.text.split())[:120] or f"HTTP {response.status_code}"
    return REDACTOR.redact(text)


def _path(target: str) -> str:
    """A target as shown in messages: its path only (queries may be long, never secret)."""
    return REDACTOR.redact(urlsplit(target).path or target)
