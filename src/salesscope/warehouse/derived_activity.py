"""Derived tables for the activity reports (employees, events, worktime, calls), built at load time.

Why they exist: every activity report buckets actions by the account's *local* day, hour and
``HH:MM``, and Ibis has no portable time-zone conversion. So the conversion happens once, here,
in engine-specific SQL (DuckDB ``timezone(zone, ts AT TIME ZONE 'UTC')``, PostgreSQL
``(ts AT TIME ZONE 'UTC') AT TIME ZONE zone``; both give the same wall-clock time on DST edges),
and reports read naive local timestamps with plain portable Ibis.

- ``activity_facts``: the event list. One row per action: every ``activities`` row except its
  ``stage_change`` rows, plus every ``deal_stage_changes`` row (the stage history is the source of
  stage moves: it carries the stages before and after, and the feed's own ``stage_change`` rows
  are the same moves). Each row carries its UTC and local time, the manager it is credited to,
  and the names and filter columns of its deal and contact.
- ``call_facts``: one row per ``calls`` row with local time, day, hour and weekday and its deal's
  names and filter columns.
- ``activity_days``: per author and local day, first and last action and the count: work time
  and presence without touching the actions (a few hundred thousand rows at most).
- ``call_day_counts``: per manager, local day and outcome, the calls, their talk time and how
  many lasted at least ``EFFECTIVE_CALL_S``: the calls report's default view without touching the
  calls (its scan floor is 1 ms, so every millisecond counts).
- ``activity_gaps``: every gap of more than a minute between two consecutive actions of an
  author on one local day — so work time's breaks are a filter, not a window function over every
  action per report (measured 1.36 s at 10M actions). Computed over the few columns it needs:
  the same window over the whole action rows took 23 of the 50 s of the build.
- ``activity_day_counts``: per credited manager, local day, kind and target stage, the count:
  the employee report without touching the actions.

``activity_facts`` and ``call_facts`` are built a range of local days at a time (``CHUNK_ROWS``),
each range sorted and appended in turn: the stored order is the same as one sort of everything,
but memory stays flat in the account's size (measured on the default demo, 375k actions: the
build peaked at 435 MB in one statement, 330 MB by months, 237 MB by months under a sync's
64 MB DuckDB limit, where one statement runs out of memory).

Rows are stored by local day, then person, then time: a period filter skips whole row groups (as
in pure time order), and a manager or team filter reads only that person's runs of rows —
measured at 10M actions, one manager's month of events 40 → 10 ms. The per-day tables serve only
reports without a pipeline, source or tag filter (they are not split by deal); with one, reports
read ``activity_facts``. Like ``deal_progress`` they are rebuilt from the canonical tables after
every load, inside the load's transaction, never edited by hand.
"""

from __future__ import annotations

import datetime as dt
import itertools

from salesscope.warehouse import derived_columns
from salesscope.warehouse.engines import Engine

ACTIVITY_FACTS = "activity_facts"
CALL_FACTS = "call_facts"
ACTIVITY_DAYS = "activity_days"
ACTIVITY_DAY_COUNTS = "activity_day_counts"
ACTIVITY_GAPS = "activity_gaps"
CALL_DAY_COUNTS = "call_day_counts"
EFFECTIVE_CALL_S = 60
"""The calls report's default --min-duration: call_day_counts counts the calls this long."""
GAP_MIN_S = 60
"""Gaps of at most this many seconds are not stored: a break is longer than a whole minute."""
CHUNK_ROWS = 30_000
"""About how many source rows one statement of the activity_facts and call_facts builds sorts."""
ZONE_MARGIN = dt.timedelta(days=1)
"""UTC margin around a range of local days: no time zone is a day away from UTC."""

DayRange = tuple[dt.date | None, dt.date | None]
"""Local days [from, to) of one build statement; None = unbounded."""

_DEAL_COLUMNS = {
    "deal_name": "The deal's name (deals.name), for the event list.",
    "contact_name": "The contact's name (contacts.name), for the event list.",
    "pipeline_id": "The deal's current pipeline (deals.pipeline_id); NULL without a deal.",
    "source": "The deal's lead source (deals.source).",
    "utm_source": "The deal's utm_source (deals.utm_source).",
    "tags": "The deal's tags (deals.tags); NULL without a deal.",
    "deal_deleted": "True when the deal has since been deleted in the CRM (the work still counts).",
}

# Every column of each derived table in order; a warehouse whose tables differ is rebuilt on open.
ACTIVITY_FACTS_COLUMNS = {
    "origin": "Where the row comes from: activity (activities) or stage_change "
    "(deal_stage_changes).",
    "id": "The row's id in its origin table.",
    "kind": "activities.kind, or stage_change for a row of deal_stage_changes.",
    "at": "When it happened (UTC).",
    "at_local": "When it happened, account-local wall-clock time.",
    "day": "The account-local date.",
    "author_id": "Who did it (users.id); NULL for clients and robots.",
    "manager_id": "The manager the action is credited to: its author; for a client's incoming "
    "message without an author, the current owner of the deal it came into.",
    "deal_id": "The deal it concerns (deals.id), if any.",
    "contact_id": "The contact it concerns: its own, else its deal's main contact.",
    **_DEAL_COLUMNS,
    "details": "activities.details: the text or what changed; NULL for a stage move.",
    "from_stage_id": "Stage before a stage move (stages.id); NULL for other actions.",
    "to_stage_id": "Stage after a stage move (stages.id); NULL for other actions.",
}

CALL_FACTS_COLUMNS = {
    "id": "calls.id.",
    "at": "When the call started (UTC).",
    "at_local": "When the call started, account-local wall-clock time.",
    "day": "The account-local date.",
    "hour": "The account-local hour, 0-23.",
    "weekday": "The account-local ISO weekday, 1 = Monday ... 7 = Sunday.",
    "author_id": "The manager on the call (users.id).",
    "direction": "in or out.",
    "incoming": "direction = in.",
    "status": "calls.status.",
    "answered": "A conversation took place: status is one of ANSWERED_STATUSES (answered); every "
    "other status (missed, busy, voicemail, ...) is a missed call.",
    "duration_s": "Talk time in seconds.",
    "recording_url": "Link to the recording, when there is one.",
    "phone": "The other party's number.",
    "deal_id": "The deal it concerns (deals.id), if any.",
    "contact_id": "The contact it concerns: its own, else its deal's main contact.",
    **_DEAL_COLUMNS,
}

ACTIVITY_DAYS_COLUMNS = {
    "author_id": "The person (users.id).",
    "day": "An account-local date on which the person took at least one action.",
    "first_at": "The day's first action (UTC).",
    "last_at": "The day's last action (UTC).",
    "first_local": "The day's first action, local time.",
    "last_local": "The day's last action, local time.",
    "actions": "Rows of activity_facts by the person that day.",
}

ACTIVITY_DAY_COUNTS_COLUMNS = {
    "manager_id": "The manager credited (activity_facts.manager_id).",
    "day": "The account-local date.",
    "kind": "activity_facts.kind.",
    "to_stage_id": "For stage moves, the stage moved to; NULL otherwise.",
    "actions": "Rows of activity_facts with these values.",
}

CALL_DAY_COUNTS_COLUMNS = {
    "author_id": "The manager on the calls (users.id).",
    "day": "The account-local date.",
    "incoming": "call_facts.incoming.",
    "answered": "call_facts.answered.",
    "calls": "Calls with these values.",
    "duration_s": "Their total talk time, seconds.",
    "effective_calls": "Those of them lasting at least EFFECTIVE_CALL_S seconds.",
}

ACTIVITY_GAPS_COLUMNS = {
    "author_id": "The person (users.id).",
    "day": "The account-local date.",
    "gap_start": "Local time of the earlier action: where the gap began.",
    "gap_end": "Local time of the next action of the same author that day: where it ended.",
    "at": "That next action (UTC).",
    "gap_s": "Elapsed seconds between the two actions (more than GAP_MIN_S).",
}

TABLE_COLUMNS: dict[str, dict[str, str]] = {
    ACTIVITY_FACTS: ACTIVITY_FACTS_COLUMNS,
    CALL_FACTS: CALL_FACTS_COLUMNS,
    ACTIVITY_DAYS: ACTIVITY_DAYS_COLUMNS,
    ACTIVITY_DAY_COUNTS: ACTIVITY_DAY_COUNTS_COLUMNS,
    ACTIVITY_GAPS: ACTIVITY_GAPS_COLUMNS,
    CALL_DAY_COUNTS: CALL_DAY_COUNTS_COLUMNS,
}


ANSWERED_STATUSES = ("answered",)
"""Call statuses that mean a conversation took place; every other status counts as missed."""


def local_time_sql(engine_name: str, utc_column: str, zone: str) -> str:
    """SQL turning a naive UTC timestamp column into naive account-local wall-clock time.

    ``zone`` is an SQL expression (a column), never a value formatted in.
    """
    if engine_name == "postgres":
        return f"(({utc_column} AT TIME ZONE 'UTC') AT TIME ZONE {zone})"
    return f"timezone({zone}, {utc_column} AT TIME ZONE 'UTC')"


_ANSWERED = ", ".join("'" + status + "'" for status in ANSWERED_STATUSES)
_ZONE = "(SELECT coalesce(max(timezone), 'UTC') AS zone FROM account)"
_ACTIONS = "(SELECT \"at\" FROM activities WHERE kind <> 'stage_change')"
"""The activities that become rows of activity_facts (stage moves come from deal_stage_changes)."""

_DEAL_SELECT = """d.name AS deal_name, n.name AS contact_name, d.pipeline_id, d.source,
        d.utm_source, d.tags, coalesce(d.deleted, FALSE) AS deal_deleted"""


def _activity_facts_sql(engine_name: str, days: DayRange = (None, None), first: bool = True) -> str:
    local = local_time_sql(engine_name, 'x."at"', "z.zone")
    return f"""
{into(ACTIVITY_FACTS, first)}
WITH actions AS (
    SELECT 'activity' AS origin, a.id, a.kind, a."at", a.author_id, a.deal_id, a.contact_id,
           a.details, CAST(NULL AS BIGINT) AS from_stage_id, CAST(NULL AS BIGINT) AS to_stage_id
    FROM activities a WHERE a.kind <> 'stage_change' {_near('a."at"', days)}
    UNION ALL
    SELECT 'stage_change', c.id, 'stage_change', c."at", c.by_user_id, c.deal_id,
           CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), c.from_stage_id, c.to_stage_id
    FROM deal_stage_changes c WHERE TRUE {_near('c."at"', days)}
),
located AS (
    SELECT x.origin, x.id, x.kind, x."at", {local} AS at_local, x.author_id,
        CASE WHEN x.author_id IS NULL AND x.kind = 'message_in' THEN d.owner_id
             ELSE x.author_id END AS manager_id,
        x.deal_id, coalesce(x.contact_id, d.contact_id) AS contact_id,
        {_DEAL_SELECT},
        x.details, x.from_stage_id, x.to_stage_id
    FROM actions x CROSS JOIN {_ZONE} z LEFT JOIN deals d ON d.id = x.deal_id
    LEFT JOIN contacts n ON n.id = coalesce(x.contact_id, d.contact_id)
),
dated AS (
    SELECT located.*, CAST(at_local AS DATE) AS day FROM located
)
SELECT origin, id, kind, "at", at_local, day, author_id, manager_id, deal_id, contact_id,
    deal_name, contact_name, pipeline_id, source, utm_source, tags, deal_deleted, details,
    from_stage_id, to_stage_id
FROM dated WHERE TRUE {_within("day", days)}
ORDER BY day, manager_id, at_local, origin, id
"""


def _call_facts_sql(engine_name: str, days: DayRange = (None, None), first: bool = True) -> str:
    local = local_time_sql(engine_name, 'c."at"', "z.zone")
    return f"""
{into(CALL_FACTS, first)}
WITH located AS (
    SELECT c.id, c."at", {local} AS at_local, c.author_id, c.direction, c.status, c.duration_s,
        c.recording_url, c.phone, c.deal_id, coalesce(c.contact_id, d.contact_id) AS contact_id,
        {_DEAL_SELECT}
    FROM calls c CROSS JOIN {_ZONE} z LEFT JOIN deals d ON d.id = c.deal_id
    LEFT JOIN contacts n ON n.id = coalesce(c.contact_id, d.contact_id)
    WHERE TRUE {_near('c."at"', days)}
),
dated AS (
    SELECT located.*, CAST(at_local AS DATE) AS day FROM located
)
SELECT id, "at", at_local, day,
    CAST(EXTRACT(HOUR FROM at_local) AS INTEGER) AS hour,
    CAST(EXTRACT(ISODOW FROM at_local) AS INTEGER) AS weekday,
    author_id, direction, direction = 'in' AS incoming, status, status IN ({_ANSWERED}) AS answered,
    duration_s, recording_url, phone, deal_id, contact_id,
    deal_name, contact_name, pipeline_id, source, utm_source, tags, deal_deleted
FROM dated WHERE TRUE {_within("day", days)}
ORDER BY day, author_id, at_local, id
"""


def into(table: str, first: bool) -> str:
    """The head of a ranged build's statement: the first range creates the table, the rest append."""
    return f"CREATE TABLE {table} AS" if first else f"INSERT INTO {table}"


def _within(column: str, days: DayRange) -> str:
    """SQL ``AND`` conditions keeping a local date column in the range (dates formatted here)."""
    lo, hi = days
    return (f"AND {column} >= DATE '{lo.isoformat()}' " if lo else "") + (
        f"AND {column} < DATE '{hi.isoformat()}'" if hi else "")


def _near(column: str, days: DayRange) -> str:
    """The same range on a UTC timestamp column, a day wider each side: lets the scan skip."""
    lo, hi = days
    return (f"AND {column} >= TIMESTAMP '{dt.datetime.combine(lo, dt.time()) - ZONE_MARGIN}' " if lo else "") + (
        f"AND {column} < TIMESTAMP '{dt.datetime.combine(hi, dt.time()) + ZONE_MARGIN}'" if hi else "")


def day_ranges(engine: Engine, sources: tuple[str, ...], column: str = "at",
               chunk_rows: int | None = None, local: bool = False) -> list[DayRange]:
    """Consecutive ranges of days covering every row of ``sources`` (tables with ``column``, ``at``
    by default), cut at month starts so that each holds about ``chunk_rows`` (``CHUNK_ROWS``) rows;
    one unbounded range for a small account. The first and last ranges are open-ended: every row
    falls in exactly one.

    Months are those of ``column`` in UTC, or with ``local`` in the account's time zone — the days
    the build statements filter on — so that no range is empty: in a DuckDB 1.5 transaction an
    ``INSERT … ORDER BY`` (or ``CREATE TABLE AS … ORDER BY``) of no rows hides every later insert
    of more than a row group into that table from the same connection until it reconnects
    (``tests/test_derived_ranges.py`` reproduces it). A range of UTC months cut at local days
    can be empty: a row at 22:00 UTC on 31 March is 1 April in Kyiv."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    month_of = local_time_sql(engine.name, f'x."{column}"', "z.zone") if local else f'x."{column}"'
    per_month: dict[dt.date, int] = {}
    for name in sources:
        for month, rows in engine.query(
                f"SELECT CAST(date_trunc('month', {month_of}) AS DATE), count(*) "
                f"FROM {name} x CROSS JOIN {_ZONE} z GROUP BY 1"):
            per_month[month] = per_month.get(month, 0) + int(rows)
    cuts: list[dt.date] = []
    held = 0
    for month in sorted(per_month):
        if held and held + per_month[month] > chunk_rows:
            cuts.append(month)
            held = 0
        held += per_month[month]
    bounds: list[dt.date | None] = [None, *cuts, None]
    return list(itertools.pairwise(bounds))


_ACTIVITY_DAYS_SQL = f"""
CREATE TABLE {ACTIVITY_DAYS} AS
SELECT author_id, day, min("at") AS first_at, max("at") AS last_at,
    min(at_local) AS first_local, max(at_local) AS last_local, CAST(count(*) AS BIGINT) AS actions
FROM {ACTIVITY_FACTS} WHERE author_id IS NOT NULL
GROUP BY author_id, day
ORDER BY day, author_id
"""

_ACTIVITY_DAY_COUNTS_SQL = f"""
CREATE TABLE {ACTIVITY_DAY_COUNTS} AS
SELECT manager_id, day, kind, to_stage_id, CAST(count(*) AS BIGINT) AS actions
FROM {ACTIVITY_FACTS} WHERE manager_id IS NOT NULL
GROUP BY manager_id, day, kind, to_stage_id
ORDER BY day, manager_id, kind, to_stage_id
"""


_ACTIVITY_GAPS_SQL = f"""
CREATE TABLE {ACTIVITY_GAPS} AS
WITH ordered AS (
    SELECT author_id, day, "at", at_local,
        lag("at") OVER w AS prev_at, lag(at_local) OVER w AS prev_local
    FROM {ACTIVITY_FACTS} WHERE author_id IS NOT NULL
    WINDOW w AS (PARTITION BY author_id, day ORDER BY "at", origin, id)
),
gaps AS (
    SELECT author_id, day, prev_local AS gap_start, at_local AS gap_end, "at",
        CAST(EXTRACT(EPOCH FROM "at") - EXTRACT(EPOCH FROM prev_at) AS INTEGER) AS gap_s
    FROM ordered WHERE prev_at IS NOT NULL
)
SELECT * FROM gaps WHERE gap_s > {GAP_MIN_S}
ORDER BY day, author_id, "at"
"""


_CALL_DAY_COUNTS_SQL = f"""
CREATE TABLE {CALL_DAY_COUNTS} AS
SELECT author_id, day, incoming, answered, CAST(count(*) AS BIGINT) AS calls,
    CAST(coalesce(sum(duration_s), 0) AS BIGINT) AS duration_s,
    CAST(count(*) FILTER (WHERE duration_s >= {EFFECTIVE_CALL_S}) AS BIGINT) AS effective_calls
FROM {CALL_FACTS}
GROUP BY author_id, day, incoming, answered
ORDER BY day, author_id
"""


def refresh(engine: Engine) -> None:
    """Rebuild the activity tables from the canonical ones, on the caller's transaction."""
    for name in reversed(TABLE_COLUMNS):
        engine.execute(f"DROP TABLE IF EXISTS {name}")
    for i, days in enumerate(day_ranges(engine, (_ACTIONS, "deal_stage_changes"), local=True)):
        engine.execute(_activity_facts_sql(engine.name, days, first=i == 0))
    for i, days in enumerate(day_ranges(engine, ("calls",), local=True)):
        engine.execute(_call_facts_sql(engine.name, days, first=i == 0))
    engine.execute(_ACTIVITY_DAYS_SQL)
    engine.execute(_ACTIVITY_DAY_COUNTS_SQL)
    engine.execute(_ACTIVITY_GAPS_SQL)
    engine.execute(_CALL_DAY_COUNTS_SQL)
    derived_columns.index_days(engine, TABLE_COLUMNS)


def current(engine: Engine) -> bool:
    """Whether the activity tables exist with the columns this version builds."""
    return derived_columns.have_columns(engine, TABLE_COLUMNS)
