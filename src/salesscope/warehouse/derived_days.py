"""Per owner and account-local day: contacts created, tasks completed and deals' moves (created,
closed), built at load time.

The consolidated report counts, per manager, the contacts created and the tasks completed in the
period. Neither takes a pipeline, source or tag filter, only the managers and the period (whole
local days), so a count per owner and local day answers them exactly — 214k and 146k rows at the
large demo instead of 947k contacts and 694k tasks (all time, measured: 4.3 -> 1.2 ms and 8.3 ->
1.0 ms). Local days use the account's time zone as ``derived_activity`` does; like every derived
table they are rebuilt from the canonical tables after every load (the account's time zone
changes only with a load).

``deal_move_days`` holds, per local day, owner and pipeline, the deals created (+1) and closed
(-1, by outcome) that day with their amounts: the consolidated report's open deals at each week
end are these moves summed up to it, ~570k rows instead of 2M moves converted to local weeks one
by one; its deals created, won and lost in a period are sums over the period's days (all time,
measured: 10.4 -> 5.6 ms). Stored by sign, outcome, then day, so each of those reads only its
runs. A report with a source or tag filter still reads the deals one by one.
"""

from __future__ import annotations

from salesscope.warehouse import derived_columns
from salesscope.warehouse.derived_activity import local_time_sql
from salesscope.warehouse.engines import Engine

CONTACT_DAYS = "contact_days"
TASK_DONE_DAYS = "task_done_days"
DEAL_MOVE_DAYS = "deal_move_days"

# Every column of each table in order; a warehouse whose table differs is rebuilt on open.
CONTACT_DAYS_COLUMNS = {
    "day": "Account-local date of contacts.created_at.",
    "owner_id": "contacts.owner_id: the responsible user (NULL: none).",
    "contacts": "Contacts created that day with that owner, not deleted.",
}
TASK_DONE_DAYS_COLUMNS = {
    "day": "Account-local date of tasks.completed_at.",
    "owner_id": "tasks.owner_id: the responsible user (NULL: none).",
    "tasks": "Tasks completed that day with that owner, not deleted.",
}
DEAL_MOVE_DAYS_COLUMNS = {
    "day": "Account-local date of the move: deal_progress.created_at (sign 1) or closed_at (-1).",
    "owner_id": "deal_progress.owner_id: the deal's current owner (NULL: none).",
    "pipeline_id": "deal_progress.pipeline_id: the deal's current pipeline.",
    "sign": "1: deals created that day; -1: deals closed that day (closed_at set, any outcome).",
    "outcome": "On closings (sign -1), deal_progress.outcome: won, lost (or open: reopened since);"
    " NULL on creations.",
    "deals": "How many non-deleted deals moved so.",
    "amount": "The sum of their budgets, DECIMAL(18, 2) (NULL when none has one).",
}
TABLE_COLUMNS = {CONTACT_DAYS: CONTACT_DAYS_COLUMNS, TASK_DONE_DAYS: TASK_DONE_DAYS_COLUMNS,
                 DEAL_MOVE_DAYS: DEAL_MOVE_DAYS_COLUMNS}

_ZONE = "(SELECT coalesce(max(timezone), 'UTC') AS zone FROM account)"


def _per_day(engine: Engine, name: str, source: str, at: str, counted: str, where: str) -> str:
    day = f"CAST({local_time_sql(engine.name, f'x.{at}', 'z.zone')} AS DATE)"
    return (f"CREATE TABLE {name} AS SELECT {day} AS day, x.owner_id, count(*) AS {counted} "
            f"FROM {source} x CROSS JOIN {_ZONE} z WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2")


def _moves(engine: Engine) -> str:
    def day(column: str) -> str:
        return f"CAST({local_time_sql(engine.name, f'x.{column}', 'z.zone')} AS DATE)"

    moved = " UNION ALL ".join(
        f"SELECT {day(column)} AS day, x.owner_id, x.pipeline_id, CAST({sign} AS SMALLINT) AS sign, "
        f"{outcome} AS outcome, x.amount FROM deal_progress x CROSS JOIN {_ZONE} z "
        f"WHERE NOT x.deleted AND x.{column} IS NOT NULL"
        for column, sign, outcome in (("created_at", 1, "CAST(NULL AS VARCHAR)"),
                                      ("closed_at", -1, "x.outcome")))
    return (f"CREATE TABLE {DEAL_MOVE_DAYS} AS SELECT day, owner_id, pipeline_id, sign, outcome, "
            # DECIMAL(18, 2) like deals.amount: summing a DECIMAL(38, 2) again (128-bit) took
            # DuckDB 45 ms for a period's 250k rows, against 5 ms.
            f"count(*) AS deals, CAST(sum(amount) AS DECIMAL(18, 2)) AS amount FROM ({moved}) m "
            "GROUP BY 1, 2, 3, 4, 5 ORDER BY sign, outcome, day, owner_id, pipeline_id")


def refresh(engine: Engine) -> None:
    """Rebuild the tables from ``contacts``, ``tasks`` and ``deal_progress`` (built first), on
    the caller's transaction."""
    for name in TABLE_COLUMNS:
        engine.execute(f"DROP TABLE IF EXISTS {name}")
    engine.execute(_per_day(engine, CONTACT_DAYS, "contacts", "created_at", "contacts",
                            "NOT x.deleted"))
    engine.execute(_per_day(engine, TASK_DONE_DAYS, "tasks", "completed_at", "tasks",
                            "NOT x.deleted AND x.completed_at IS NOT NULL"))
    engine.execute(_moves(engine))
    derived_columns.index_days(engine, TABLE_COLUMNS)


def current(engine: Engine) -> bool:
    """Whether the tables exist with the columns this version builds."""
    return derived_columns.have_columns(engine, TABLE_COLUMNS)
