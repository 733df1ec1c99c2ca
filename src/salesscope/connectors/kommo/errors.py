"""What can stop a Kommo sync, each with a message that says what happened and what to do."""

from __future__ import annotations


class KommoError(RuntimeError):
    """Kommo refused or failed in a way retries cannot fix; the sync stops with this message."""


class KommoAuthError(KommoError):
    """401: the token expired or was revoked, or the OAuth refresh failed."""


class KommoPaymentRequired(KommoError):
    """402: the account's paid or trial period has ended."""


class KommoForbidden(KommoError):
    """403: API access blocked (repeated 429s) or the token's user lacks the rights."""


class KommoUnavailable(KommoError):
    """5xx answers or timeouts outlasted every retry."""


class KommoRateLimited(KommoError):
    """Kommo kept answering 429; stopping before Kommo blocks the account."""


class KommoResponseError(KommoError):
    """An answer the connector does not understand (an unexpected status or a malformed body)."""


class KommoNotConnected(KommoError):
    """No Kommo connection is configured yet."""
