"""Warehouse keys for Kommo things that have no usable integer id of their own.

- Stages: Kommo repeats status ids 142 (won) and 143 (lost) in every pipeline, so a stage is keyed
  by (pipeline id, status id). ``stage_key`` packs both into one readable integer:
  ``pipeline_id * 10**10 + status_id`` (pipeline 3177727, status 142 → 31777270000000142).
- Events: Kommo event ids are strings (ULIDs: the first 10 characters are the creation time in
  milliseconds, e.g. ``01pz58t6p04ymgsgfbmfyfy1mf`` → created_at 1888888888). An event's warehouse
  id (``activities.id``, ``deal_stage_changes.id``) is ``ms << 13 | n``, where ``n`` numbers the
  events of that millisecond in the order they were first seen: time-ordered (ties between stage
  changes are broken by it) and collision-free, unlike any hash of 128 bits into 63.
"""

from __future__ import annotations

import datetime as dt

STATUS_SPAN = 10**10
"""Status ids are below this (Kommo ids are 32-bit), so ``stage_key`` is injective."""
MAX_PIPELINE_ID = (2**63 - 1) // STATUS_SPAN - 1

EVENT_SEQ_BITS = 13
"""Up to 8192 events per millisecond: more than Kommo records for one account."""
_ULID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_MS_PER_DAY = 86_400_000


class KommoIdError(ValueError):
    """An id out of the range the warehouse keys can hold."""


def stage_key(pipeline_id: int, status_id: int) -> int:
    """The warehouse id of a Kommo stage (``stages.id``); ``stages.crm_id`` keeps ``status_id``."""
    if not 0 <= status_id < STATUS_SPAN or not 0 <= pipeline_id <= MAX_PIPELINE_ID:
        raise KommoIdError(f"stage of pipeline {pipeline_id}, status {status_id}: ids out of range")
    return pipeline_id * STATUS_SPAN + status_id


def event_millisecond(event_id: str, created_at: int) -> int:
    """The event's creation time in ms: from its ULID when that agrees with ``created_at``."""
    ms = ulid_ms(event_id)
    if ms is None or abs(ms - created_at * 1000) >= _MS_PER_DAY:
        return created_at * 1000
    return ms


def ulid_ms(event_id: str) -> int | None:
    """The millisecond timestamp of a ULID string; None when it is not one."""
    text = event_id.lower()
    if len(text) != 26:
        return None
    ms = 0
    for ch in text[:10]:
        digit = _ULID_ALPHABET.find(ch)
        if digit < 0:
            return None
        ms = ms * 32 + digit
    return ms if ms < 2**48 else None


def event_key(ms: int, seq: int) -> int:
    """The warehouse id of the ``seq``-th event first seen in millisecond ``ms``."""
    if not 0 <= seq < 2**EVENT_SEQ_BITS:
        raise KommoIdError(f"more than {2**EVENT_SEQ_BITS} events in one millisecond ({ms})")
    return (ms << EVENT_SEQ_BITS) | seq


def event_key_range(ms: int) -> tuple[int, int]:
    """The first and last warehouse id an event of millisecond ``ms`` can get."""
    return ms << EVENT_SEQ_BITS, (ms << EVENT_SEQ_BITS) | (2**EVENT_SEQ_BITS - 1)


def utc(seconds: int | float | str | None) -> dt.datetime | None:
    """A Kommo Unix timestamp as a naive UTC datetime (the warehouse's convention); 0/None → None."""
    if seconds in (None, "", 0, "0"):
        return None
    assert seconds is not None
    return dt.datetime.fromtimestamp(int(float(seconds)), dt.UTC).replace(tzinfo=None)


def unix(moment: dt.datetime) -> int:
    """A naive UTC datetime as Unix seconds (for Kommo's filters)."""
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def user_id(value: object) -> int | None:
    """A Kommo user reference: 0 (robot, system, client) and empty values are no user."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number or None
