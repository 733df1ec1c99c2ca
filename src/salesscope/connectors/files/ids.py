"""Stable ids for what an import creates: the same name or source id always gives the same id.

Re-importing a file must change nothing, so ids cannot be counters. A file's own integer deal ids
are kept (a Kommo export's ids stay Kommo ids); everything else gets a hash of what names it, in
``[2**52, 2**53)``: clear of CRM ids (Kommo's are below 2**32), positive, and still exact as a
JavaScript number in the dashboard's JSON.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

HASH_BASE = 1 << 52


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """How names are compared: case and runs of whitespace do not matter."""
    return " ".join(name.split()).casefold()


def stable_id(kind: str, *parts: str) -> int:
    """A positive id from ``kind`` (deal, user, stage, ...) and the values that name the thing."""
    text = "\x1f".join((kind, *parts)).encode("utf-8")
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return HASH_BASE + int.from_bytes(digest, "big") % HASH_BASE


def file_deal_id(source_id: str) -> int:
    """A deal's id: the file's own id when it is a whole number below 2**52, else its hash."""
    text = source_id.strip()
    if text.isascii() and text.isdigit():
        value = int(text)
        if 0 < value < HASH_BASE:
            return value
    return stable_id("deal", text)
