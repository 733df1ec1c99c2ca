"""The ``activities`` table: every action in one feed, ids in time order.

It gathers deal creation, stage moves, touches (notes, messages, calls, tasks), task completions,
clients' messages and the leavers' farewell notes. Staff actions carry their author; clients'
messages, robot moves and leads created by integrations (web forms, chats) have none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from salesscope.demo import columns
from salesscope.demo.book import DealBook
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.contacts import FIRST_CONTACT_ID
from salesscope.demo.roster import Roster
from salesscope.demo.touches import CALL_IN, CALL_OUT, MESSAGE_OUT, NOTE, TASK, Touches

FIRST_ACTIVITY_ID = 100_000_001
KINDS = ("deal_created", "stage_change", "note", "message_in", "message_out", "call_in",
         "call_out", "task_created", "task_completed")
(DEAL_CREATED, STAGE_CHANGE, A_NOTE, MESSAGE_IN, A_MESSAGE_OUT, A_CALL_IN, A_CALL_OUT,
 TASK_CREATED, TASK_COMPLETED) = range(len(KINDS))
_TOUCH_TO_KIND = {NOTE: A_NOTE, MESSAGE_OUT: A_MESSAGE_OUT, CALL_OUT: A_CALL_OUT,
                  CALL_IN: A_CALL_IN, TASK: TASK_CREATED}
NOTES = ("Клієнт зацікавлений, чекає пропозицію", "Уточнив потребу та бюджет",
         "Надіслав презентацію", "Клієнт порівнює з конкурентами", "Домовились про дзвінок",
         "Клієнт просить знижку", "Потрібне погодження керівника")
MESSAGES_OUT = ("Добрий день! Надсилаю пропозицію", "Чи вдалося ознайомитися?",
                "Нагадую про нашу домовленість", "Дякуємо за звернення!",
                "Рахунок у вкладенні")
MESSAGES_IN = ("Доброго дня, цікавить ваша послуга", "Скільки коштує?", "Дякую, подумаю",
               "Надішліть, будь ласка, рахунок", "Можна зателефонувати пізніше?",
               "Так, підходить")
FAREWELL = "Останній робочий день: передаю клієнтів колегам"


@dataclass
class _Part:
    at_s: np.ndarray
    kind: np.ndarray
    author: np.ndarray
    """users.id or -1."""
    deal: np.ndarray
    """Deal index or -1."""
    details: pa.Array


@dataclass(frozen=True)
class FeedInputs:
    """Everything the feed is gathered from."""

    book: DealBook
    touches: Touches
    staff_created: np.ndarray
    """Per deal: created by its owner (author) rather than by an integration."""
    client_first: np.ndarray
    """Per deal: the lead starts with the client's message."""
    replies: tuple[np.ndarray, np.ndarray]
    call_rows: np.ndarray
    call_ids: np.ndarray
    call_duration: np.ndarray
    call_status: np.ndarray
    task_rows: np.ndarray
    task_ids: np.ndarray
    task_done_s: np.ndarray


def activities_table(
    feed: FeedInputs, roster: Roster, calendar: DemoCalendar, rng: np.random.Generator
) -> pa.Table:
    parts = _parts(feed, roster, rng)
    at_s = np.concatenate([p.at_s for p in parts])
    order = np.argsort(at_s, kind="stable")
    deal = np.concatenate([p.deal for p in parts])[order]
    author = np.concatenate([p.author for p in parts])[order]
    details = pa.concat_arrays([p.details for p in parts]).take(pa.array(order))
    n = len(order)
    book = feed.book
    safe = np.maximum(deal, 0)
    return pa.table({
        "id": columns.ids(FIRST_ACTIVITY_ID + np.arange(n)),
        "kind": columns.labels(np.concatenate([p.kind for p in parts])[order], KINDS),
        "at": columns.timestamps(calendar, at_s[order]),
        "author_id": columns.ids(author, author < 0),
        "deal_id": columns.ids(book.ids[safe], deal < 0),
        "contact_id": columns.ids(FIRST_CONTACT_ID + book.contact[safe], deal < 0),
        "details": details,
    })


def _parts(feed: FeedInputs, roster: Roster, rng: np.random.Generator) -> list[_Part]:
    book, touches = feed.book, feed.touches
    lead, j = book.leads, book.journeys
    user = roster.ids[lead.owner]
    n = len(book)
    parts = [
        _Part(lead.created_s, np.full(n, DEAL_CREATED), np.where(feed.staff_created, user, -1),
              np.arange(n), pa.nulls(n, pa.string())),
        _Part(j.change_s, np.full(len(j.change_s), STAGE_CHANGE),
              np.where(j.change_robot, -1, user[j.change_deal]), j.change_deal,
              columns.joined(['{"from": ', columns.numbered("", j.change_from), ', "to": ',
                              columns.numbered("", j.change_to), "}"])),
    ]
    plain = touches.of_kind(NOTE, MESSAGE_OUT)
    texts = np.where(touches.kind[plain] == NOTE, rng.integers(0, len(NOTES), len(plain)),
                     len(NOTES) + rng.integers(0, len(MESSAGES_OUT), len(plain)))
    parts.append(_touch_part(touches, plain, user, columns.labels(texts, NOTES + MESSAGES_OUT)))
    calls = columns.joined([
        columns.numbered('{"call_id": ', feed.call_ids, ', "duration_s": '),
        columns.numbered("", feed.call_duration, ', "status": "'),
        columns.labels(feed.call_status, ("answered", "missed", "busy", "voicemail")), '"}',
    ])
    parts.append(_touch_part(touches, feed.call_rows, user, calls))
    parts.append(_touch_part(touches, feed.task_rows, user,
                             columns.numbered('{"task_id": ', feed.task_ids, "}")))
    done = feed.task_done_s >= 0
    task_deal = touches.deal[feed.task_rows][done]
    parts.append(_Part(feed.task_done_s[done], np.full(len(task_deal), TASK_COMPLETED),
                       user[task_deal], task_deal,
                       columns.numbered('{"task_id": ', feed.task_ids[done], "}")))
    first = np.flatnonzero(feed.client_first)
    reply_deal, reply_s = feed.replies
    in_deal = np.concatenate([first, reply_deal])
    parts.append(_Part(np.concatenate([lead.created_s[first], reply_s]),
                       np.full(len(in_deal), MESSAGE_IN), np.full(len(in_deal), -1), in_deal,
                       columns.labels(rng.integers(0, len(MESSAGES_IN), len(in_deal)),
                                      MESSAGES_IN)))
    leavers = np.flatnonzero(roster.leaver)
    parts.append(_Part(roster.last_action_s[leavers], np.full(len(leavers), A_NOTE),
                       roster.ids[leavers], np.full(len(leavers), -1),
                       pa.array([FAREWELL] * len(leavers), pa.string())))
    return parts


def _touch_part(touches: Touches, rows: np.ndarray, user: np.ndarray, details: pa.Array) -> _Part:
    deal = touches.deal[rows]
    kind = np.array([_TOUCH_TO_KIND[k] for k in range(len(_TOUCH_TO_KIND))])[touches.kind[rows]]
    return _Part(touches.at_s[rows], kind, user[deal], deal, details)
