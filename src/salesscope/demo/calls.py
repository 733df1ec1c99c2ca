"""The ``calls`` table: every call touch as a logged call with outcome, length and recording.

About 40% of calls last under a minute (missed, busy, voicemail, or short answered calls), which
is what a duration filter for "effective conversations" needs to show.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.demo import columns
from salesscope.demo.book import DealBook
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.contacts import FIRST_CONTACT_ID
from salesscope.demo.roster import Roster
from salesscope.demo.touches import CALL_IN, Touches

FIRST_CALL_ID = 70_000_001
STATUSES = ("answered", "missed", "busy", "voicemail")
_OUT_P = (0.72, 0.12, 0.06, 0.10)
_IN_P = (0.85, 0.15, 0.0, 0.0)
RECORDINGS = "https://recordings.demo.salesscope.local/"


def calls_table(
    touches: Touches,
    rows: np.ndarray,
    book: DealBook,
    phones: pa.Array,
    roster: Roster,
    calendar: DemoCalendar,
    rng: np.random.Generator,
) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray]:
    """Calls for the touches ``rows`` (call_in/call_out), ids in time order.

    Returns the table and, per row of ``rows``: call id, duration_s and status code.
    """
    n = len(rows)
    order = np.lexsort((np.arange(n), touches.at_s[rows]))
    call_id = np.empty(n, dtype=np.int64)
    call_id[order] = FIRST_CALL_ID + np.arange(n)
    incoming = touches.kind[rows] == CALL_IN
    status = np.where(incoming, rng.choice(4, n, p=_IN_P), rng.choice(4, n, p=_OUT_P))
    short = rng.random(n) < 0.2
    talk = np.where(short, rng.integers(5, 60, n),
                    np.clip(np.exp(rng.normal(np.log(170.0), 0.8, n)), 60, 2400).astype(np.int64))
    duration = np.select([status == 0, status == 3], [talk, rng.integers(12, 45, n)], 0)
    deal = touches.deal[rows]
    contact = book.contact[deal]
    answered = status == 0
    table = pa.table({
        "id": columns.ids(call_id),
        "direction": columns.labels(np.where(incoming, 0, 1), ("in", "out")),
        "duration_s": pa.array(duration.astype(np.int32)),
        "status": columns.labels(status, STATUSES),
        "recording_url": pc.if_else(
            pa.array(answered),
            columns.numbered(RECORDINGS, call_id, ".mp3"),
            pa.nulls(n, pa.string()),
        ),
        "at": columns.timestamps(calendar, touches.at_s[rows]),
        "author_id": columns.ids(roster.ids[book.leads.owner[deal]]),
        "deal_id": columns.ids(book.ids[deal]),
        "contact_id": columns.ids(FIRST_CONTACT_ID + contact),
        "phone": phones.take(pa.array(contact)),
    }).sort_by("id")
    return table, call_id, duration, status
