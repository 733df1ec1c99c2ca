"""Signed cookies: the session cookie and the CSRF token (double submit).

The session cookie carries a random session id, signed so that a forged or truncated cookie is
rejected before the database is asked; the session itself lives in ``auth.sqlite3`` so that logout
and a password change end it. The CSRF token is a signed random value kept in its own cookie and
echoed by every form (hidden ``csrf_token``) or by the ``X-CSRF-Token`` header: a page on another
site can make the browser send the cookie, but cannot read it to put it in the form.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from salesscope.auth.users import SESSION_DAYS

SESSION_COOKIE = "salesscope_session"
CSRF_COOKIE = "salesscope_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = SESSION_DAYS * 24 * 3600


class CookieCodec:
    """Signs and checks the session and CSRF cookies with the server's key."""

    def __init__(self, secret_key: str) -> None:
        self._session = URLSafeTimedSerializer(secret_key, salt="salesscope.session")
        self._csrf = URLSafeTimedSerializer(secret_key, salt="salesscope.csrf")

    def session_cookie(self, session_id: str) -> str:
        return self._session.dumps(session_id)

    def session_id(self, cookie: str | None) -> str | None:
        """The session id of a genuine, unexpired cookie; None for anything else."""
        if not cookie:
            return None
        try:
            value = self._session.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def new_csrf(self) -> str:
        return self._csrf.dumps(secrets.token_urlsafe(24))

    def csrf_valid(self, cookie: str | None) -> bool:
        if not cookie:
            return False
        try:
            self._csrf.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return False
        return True

    def csrf_matches(self, cookie: str | None, submitted: str | None) -> bool:
        """The form (or header) echoes the signed token of this browser's cookie."""
        if not cookie or not submitted or not self.csrf_valid(cookie):
            return False
        return hmac.compare_digest(cookie, submitted)
