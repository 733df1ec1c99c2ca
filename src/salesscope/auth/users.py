"""Web users in a small SQLite file: name, role, argon2 hash, and the sessions they hold.

Why SQLite and not the warehouse: the warehouse is rebuilt by ``demo``/``restore`` and DuckDB
allows one writer process, while logins must work whatever the warehouse is doing. Each call opens
its own short connection, so the store is safe to use from the server's worker threads.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from salesscope import paths

ROLES = ("admin", "head", "teamlead", "manager")
AUTH_FILENAME = "auth.sqlite3"
MIN_PASSWORD = 8
SESSION_DAYS = 14

_NAME = re.compile(r"^[\w.@-]{1,64}$")
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a wrong
    password (made on first use: hashing takes a third of a second, too long for every command)."""
    return _HASHER.hash(secrets.token_urlsafe(16))

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    manager TEXT,
    team TEXT,
    password_hash TEXT NOT NULL,
    locale TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class UserError(ValueError):
    """A bad user name, role, password or link; the message names the value and the choices."""


@dataclass(frozen=True)
class WebUser:
    """Someone who may log in, and what their role limits them to.

    ``manager`` is the CRM user (name or id) a manager sees; ``team`` the team a teamlead sees.
    """

    name: str
    role: str
    manager: str | None = None
    team: str | None = None
    locale: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role in ("admin", "head")


def default_path() -> Path:
    return paths.home() / AUTH_FILENAME


def check_user_fields(name: str, role: str, manager: str | None, team: str | None) -> None:
    """Reject a malformed user before anything is stored."""
    if not _NAME.match(name):
        raise UserError(f"bad user name {name!r}; valid: 1-64 letters, digits, '.', '_', '@', '-'")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; valid: {', '.join(ROLES)}")
    if role == "manager" and not manager:
        raise UserError("role manager needs --manager CRM_NAME (the CRM user whose deals they see)")
    if role == "teamlead" and not team:
        raise UserError("role teamlead needs --team TEAM (the team they see)")
    if manager and role != "manager":
        raise UserError(f"--manager applies to role manager only, not {role}")
    if team and role != "teamlead":
        raise UserError(f"--team applies to role teamlead only, not {role}")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password too short; valid: at least {MIN_PASSWORD} characters")


class UserStore:
    """The users, sessions and the cookie-signing key, in ``auth.sqlite3``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 before anything is written: it holds password hashes and the cookie key.
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self._connect() as con:
            con.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            with con:  # commits on success, rolls back on error
                yield con
        finally:
            con.close()

    # -- users ---------------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, manager: str | None = None,
            team: str | None = None) -> WebUser:
        check_user_fields(name, role, manager, team)
        check_password(password)
        with self._connect() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UserError(f"user {name!r} already exists; change the password with "
                                f"`salesscope users passwd {name} --password-stdin`")
            con.execute(
                "INSERT INTO users (name, role, manager, team, password_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, role, manager, team, _HASHER.hash(password), _now().isoformat()),
            )
        return WebUser(name, role, manager, team)

    def get(self, name: str) -> WebUser | None:
        with self._connect() as con:
            row = con.execute("SELECT name, role, manager, team, locale FROM users WHERE name = ?",
                              (name,)).fetchone()
        return WebUser(*row) if row else None

    def list(self) -> list[WebUser]:
        with self._connect() as con:
            rows = con.execute("SELECT name, role, manager, team, locale FROM users ORDER BY name")
            return [WebUser(*row) for row in rows.fetchall()]

    def remove(self, name: str) -> None:
        with self._connect() as con:
            if con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise UserError(self._unknown(con, name))

    def set_password(self, name: str, password: str) -> None:
        """A new password; every session of the user ends (a stolen cookie stops working)."""
        check_password(password)
        with self._connect() as con:
            done = con.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                               (_HASHER.hash(password), name))
            if done.rowcount == 0:
                raise UserError(self._unknown(con, name))
            con.execute("DELETE FROM sessions WHERE user_name = ?", (name,))

    def set_locale(self, name: str, locale: str) -> None:
        with self._connect() as con:
            con.execute("UPDATE users SET locale = ? WHERE name = ?", (locale, name))

    def authenticate(self, name: str, password: str) -> WebUser | None:
        """The user when the password matches; None otherwise (same cost either way)."""
        with self._connect() as con:
            row = con.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        stored = row[0] if row else _dummy_hash()
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _HASHER.check_needs_rehash(stored):
            with self._connect() as con:
                con.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                            (_HASHER.hash(password), name))
        return self.get(name)

    @staticmethod
    def _unknown(con: sqlite3.Connection, name: str) -> str:
        names = [r[0] for r in con.execute("SELECT name FROM users ORDER BY name")]
        return f"unknown user {name!r}; valid: {', '.join(names) or '(no users yet)'}"

    # -- sessions ------------------------------------------------------------------------------

    def open_session(self, name: str) -> str:
        """A new random session id for a user who just logged in."""
        session_id = secrets.token_urlsafe(32)
        now = _now()
        with self._connect() as con:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                        (session_id, name, now.isoformat(),
                         (now + dt.timedelta(days=SESSION_DAYS)).isoformat()))
        return session_id

    def session_user(self, session_id: str) -> WebUser | None:
        """The user holding a live session, or None for an unknown or expired one."""
        with self._connect() as con:
            row = con.execute(
                "SELECT u.name, u.role, u.manager, u.team, u.locale FROM sessions s "
                "JOIN users u ON u.name = s.user_name WHERE s.id = ? AND s.expires_at > ?",
                (session_id, _now().isoformat()),
            ).fetchone()
        return WebUser(*row) if row else None

    def close_session(self, session_id: str) -> None:
        with self._connect() as con:
            con.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # -- the cookie-signing key ----------------------------------------------------------------

    def secret_key(self) -> str:
        """The key that signs cookies: made once, kept in this file (never in the warehouse)."""
        with self._connect() as con:
            con.execute("INSERT OR IGNORE INTO secrets VALUES ('cookie_key', ?)",
                        (secrets.token_urlsafe(48),))
            row = con.execute("SELECT value FROM secrets WHERE name = 'cookie_key'").fetchone()
        return str(row[0])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
