"""``$SALESSCOPE_HOME/secrets.json``: tokens and keys, in one file only its owner can read (0600).

Kept apart from ``config.toml`` so settings can be shown and shared without leaking anything.
Writes are atomic (a new file, fsynced, renamed over the old one): Kommo refresh tokens are
single-use, so a crash mid-write must leave either the old pair or the new one, never half of
each. ``locked()`` serialises read-modify-write cycles across processes (a server and a CLI sync
refreshing the same OAuth token). Every secret value read or written (tokens, client secrets,
codes) is registered with ``REDACTOR``, so that no log line, error or progress output shows it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from salesscope import paths

SECRETS_FILE = "secrets.json"
MASK = "***"


class Redactor:
    """Known secret values, replaced by ``***`` in any text about to be shown or logged."""

    MIN_LENGTH = 6
    """Shorter values are not treated as secrets (masking "abc" everywhere would garble text)."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= self.MIN_LENGTH:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


REDACTOR = Redactor()
"""The process-wide set: every secret salesscope loads or receives is added here."""


class RedactingFilter(logging.Filter):
    """A logging filter for handlers: formats each record once and masks known secrets in it."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redactor.redact(message), None
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        return True


class SecretsError(RuntimeError):
    """The secrets file is unreadable, malformed or readable by others; the message says what to do."""


class SecretStore:
    """The secrets file: sections of string values, e.g. ``{"kommo": {"token": "..."}}``."""

    def __init__(self, home: Path | None = None) -> None:
        self.path = (home or paths.home()) / SECRETS_FILE

    def load(self) -> dict[str, dict[str, Any]]:
        """Every section ({} when the file does not exist yet)."""
        if not self.path.exists():
            return {}
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise SecretsError(
                f"{self.path} is readable by other users (mode {mode:04o}); run `chmod 600 {self.path}`"
            )
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SecretsError(f"{self.path} is not valid JSON; delete it and connect again") from None
        if not isinstance(doc, dict):
            raise SecretsError(f"{self.path} is not a JSON object; delete it and connect again")
        _register(doc)
        return {k: dict(v) for k, v in doc.items() if isinstance(v, dict)}

    def section(self, name: str) -> dict[str, Any]:
        return self.load().get(name, {})

    def put_section(self, name: str, values: Mapping[str, Any]) -> None:
        """Replace one section atomically, keeping the others."""
        doc = self.load()
        doc[name] = dict(values)
        _register(doc)
        self._write(doc)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock (across processes) for a read-modify-write of the secrets."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(f".{SECRETS_FILE}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, doc: Mapping[str, Any]) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{SECRETS_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def is_secret_key(key: str) -> bool:
    """Which values of the secrets file are secret (ids, URLs and expiry times are not)."""
    return key.endswith(("token", "secret", "password", "code"))


def _register(doc: Mapping[str, Any]) -> None:
    """Register every secret value of the file, so that nothing can print it."""
    for key, value in doc.items():
        if isinstance(value, Mapping):
            _register(value)
        elif isinstance(value, str) and is_secret_key(key):
            REDACTOR.add(value)
