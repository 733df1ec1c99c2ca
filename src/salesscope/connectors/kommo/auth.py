"""Kommo credentials: a long-lived token, or OAuth 2 tokens that refresh themselves safely.

Kommo refresh tokens are single-use and "globally" so (API.md §1.3): whoever refreshes must store
the new pair before using it, and two processes must not refresh at once. ``OAuthTokens`` does
both under the secrets file's lock, and first re-reads the file: when another process refreshed
meanwhile, its pair is adopted instead of burning the refresh token a second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from salesscope.connectors.kommo.errors import KommoAuthError
from salesscope.secrets import REDACTOR, SecretStore

SECTION = "kommo"
"""The secrets file's section holding Kommo's token(s)."""

TokenPost = Callable[[Mapping[str, str]], dict[str, Any]]
"""POST a JSON body to ``/oauth2/access_token`` and return the answer (the client provides it)."""


class Credentials(Protocol):
    """What the client needs from any kind of Kommo credentials."""

    def authorization(self) -> str:
        """The ``Authorization`` header value."""

    def needs_refresh(self) -> bool:
        """Whether the token is about to expire and should be refreshed before the next call."""

    def refresh(self, post: TokenPost) -> bool:
        """Get a new token after a 401 or before expiry; False when this kind cannot refresh."""


class LongLivedToken:
    """A private integration's long-lived token: nothing to refresh; when it expires, reconnect."""

    def __init__(self, token: str) -> None:
        REDACTOR.add(token)
        self._token = token

    def authorization(self) -> str:
        return f"Bearer {self._token}"

    def needs_refresh(self) -> bool:
        return False

    def refresh(self, post: TokenPost) -> bool:
        return False


class NoCredentials:
    """For the OAuth code exchange, before there is any token (the token endpoint takes none)."""

    def authorization(self) -> str:
        raise KommoAuthError("no Kommo credentials yet: run `salesscope connect kommo`")

    def needs_refresh(self) -> bool:
        return False

    def refresh(self, post: TokenPost) -> bool:
        return False


class OAuthTokens:
    """An OAuth access/refresh pair kept in the secrets file and rotated atomically."""

    def __init__(self, store: SecretStore, clock: Callable[[], float] = time.time,
                 margin_s: float = 60.0) -> None:
        self.store = store
        self.clock = clock
        self.margin_s = margin_s
        self._state = store.section(SECTION)
        if not self._state.get("refresh_token"):
            raise KommoAuthError("no OAuth tokens stored: run `salesscope connect kommo --oauth`")

    def authorization(self) -> str:
        return f"Bearer {self._state.get('access_token', '')}"

    def needs_refresh(self) -> bool:
        return _expiring(self._state, self.clock(), self.margin_s)

    def refresh(self, post: TokenPost) -> bool:
        with self.store.locked():
            stored = self.store.section(SECTION)
            rotated_elsewhere = stored.get("access_token") != self._state.get("access_token")
            if rotated_elsewhere and not _expiring(stored, self.clock(), self.margin_s):
                self._state = stored
                return True
            answer = post({
                "client_id": str(stored.get("client_id", "")),
                "client_secret": str(stored.get("client_secret", "")),
                "grant_type": "refresh_token",
                "refresh_token": str(stored.get("refresh_token", "")),
                "redirect_uri": str(stored.get("redirect_uri", "")),
            })
            fresh = {**stored, **token_pair(answer, self.clock())}
            self.store.put_section(SECTION, fresh)  # stored before first use: the old one is spent
            self._state = fresh
        return True


def exchange_code(post: TokenPost, client_id: str, client_secret: str, redirect_uri: str,
                  code: str, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """Trade an authorization code for the first token pair (the caller stores it)."""
    REDACTOR.add(client_secret)
    REDACTOR.add(code)
    answer = post({"client_id": client_id, "client_secret": client_secret,
                   "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
    return {"client_id": client_id, "client_secret": client_secret, "redirect_uri": redirect_uri,
            **token_pair(answer, clock())}


def token_pair(answer: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The stored form of a token answer: both tokens and the absolute expiry (Unix seconds)."""
    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str):
        raise KommoAuthError("Kommo's token answer lacks access_token or refresh_token")
    REDACTOR.add(access)
    REDACTOR.add(refresh)
    expires_in = answer.get("expires_in", 86400)
    return {"access_token": access, "refresh_token": refresh,
            "expires_at": int(now + float(expires_in))}


def _expiring(state: Mapping[str, Any], now: float, margin_s: float) -> bool:
    return float(state.get("expires_at", 0) or 0) - now < margin_s
