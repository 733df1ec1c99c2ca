"""The ``tasks`` table: tasks managers set on deals, most done, some open and overdue.

A task is due one to a few working days after it is set and, in most cases, done around then;
a completion that would fall after the owner's last working moment never happens, which leaves
open (and eventually overdue) tasks on recent deals and on the deals of managers who left. A
leaver's tasks are never due after their last day. Open tasks of current managers may be due
after ``today`` — that is a plan, not something that happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from salesscope.demo import columns
from salesscope.demo.book import DealBook
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.contacts import FIRST_CONTACT_ID
from salesscope.demo.profiles import WORK_DAY_S
from salesscope.demo.roster import Roster
from salesscope.demo.touches import Touches

FIRST_TASK_ID = 80_000_001
KINDS = ("call", "meeting", "follow_up")
_KIND_P = (0.5, 0.15, 0.35)
TEXTS = ("Передзвонити клієнту", "Зустріч з клієнтом", "Нагадати про пропозицію")
RESULTS = (
    ("Дозвонився, домовились про зустріч", "Не відповідає, передзвоню", "Клієнт думає"),
    ("Зустріч відбулась, надіслав КП", "Зустріч перенесено", "Обговорили умови"),
    ("Нагадав, чекаємо відповіді", "Клієнт погодився", "Відправив рахунок"),
)
_DONE_SHARE = 0.88


@dataclass(frozen=True)
class TaskEvents:
    """Per task (row of the touches it came from): id and completion."""

    task_id: np.ndarray
    completed_s: np.ndarray
    """Local seconds of completion; -1 while open."""


def tasks_table(
    touches: Touches,
    rows: np.ndarray,
    book: DealBook,
    roster: Roster,
    calendar: DemoCalendar,
    rng: np.random.Generator,
) -> tuple[pa.Table, TaskEvents]:
    n = len(rows)
    deal = touches.deal[rows]
    owner = book.leads.owner[deal]
    work = touches.work[rows]
    due_work = work + (rng.uniform(0.3, 3.0, n) * WORK_DAY_S).astype(np.int64)
    due_work = np.where(roster.leaver[owner], np.minimum(due_work, roster.work_end[owner]), due_work)
    done_work = work + (rng.uniform(0.2, 1.3, n) * (due_work - work)).astype(np.int64)
    done = (rng.random(n) < _DONE_SHARE) & (done_work < roster.work_end[owner])
    due_s = roster.schedule.to_clock(owner, due_work)
    done_s = np.where(done, roster.schedule.to_clock(owner, done_work), -1)
    created_s = touches.at_s[rows]
    order = np.lexsort((np.arange(n), created_s))
    task_id = np.empty(n, dtype=np.int64)
    task_id[order] = FIRST_TASK_ID + np.arange(n)
    kind = rng.choice(len(KINDS), n, p=_KIND_P)
    result = np.where(done, kind * 3 + rng.integers(0, 3, n), -1)
    user = roster.ids[owner]
    table = pa.table({
        "id": columns.ids(task_id),
        "kind": columns.labels(kind, KINDS),
        "text": columns.labels(kind, TEXTS),
        "created_at": columns.timestamps(calendar, created_s),
        "due_at": columns.timestamps(calendar, due_s),
        "completed_at": columns.timestamps(calendar, np.maximum(done_s, 0), ~done),
        "result": columns.labels(result, [r for group in RESULTS for r in group]),
        "owner_id": columns.ids(user),
        "created_by": columns.ids(user),
        "deal_id": columns.ids(book.ids[deal]),
        "contact_id": columns.ids(FIRST_CONTACT_ID + book.contact[deal]),
        "deleted": pa.array(np.zeros(n, dtype=bool)),
    }).sort_by("id")
    return table, TaskEvents(task_id, done_s)
