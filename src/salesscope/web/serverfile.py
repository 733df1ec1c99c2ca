"""``$SALESSCOPE_HOME/run/serve-<key>.json``: how CLI commands find the server holding a warehouse.

DuckDB lets one process hold a file read-write and then no other process may open it at all
(``../shared/STACK.md``). While ``salesscope serve`` runs it owns the file, and writes this note
(mode 0600: it holds the control API's token) so that ``report``, ``status`` and ``sync`` ask the
server instead of opening the file. One note per warehouse target, removed when the server stops.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from salesscope import paths


@dataclass(frozen=True)
class ServerNote:
    """A running server: its process, the local control URL and token, the warehouse it holds."""

    pid: int
    control_url: str
    token: str
    target: str
    page_url: str


def canonical_target(target: str) -> str:
    """One spelling per warehouse: an absolute, resolved path (URLs unchanged)."""
    if paths.is_postgres_url(target):
        return target
    return str(Path(target).expanduser().resolve())


def note_path(target: str, home: Path | None = None) -> Path:
    key = hashlib.sha256(canonical_target(target).encode()).hexdigest()[:16]
    return (home or paths.home()) / "run" / f"serve-{key}.json"


def write(note: ServerNote, home: Path | None = None) -> Path:
    path = note_path(note.target, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(note), fh)
    os.replace(tmp, path)
    return path


def read(target: str, home: Path | None = None) -> ServerNote | None:
    """The note for a warehouse when its server process is alive; a stale note is removed."""
    path = note_path(target, home)
    try:
        note = ServerNote(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if not _alive(note.pid):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return note


def remove(target: str, pid: int, home: Path | None = None) -> None:
    """Remove the note if it is still this process's (a newer server may have replaced it)."""
    path = note_path(target, home)
    with contextlib.suppress(OSError, ValueError, TypeError):
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
