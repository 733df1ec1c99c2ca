"""Working seconds to first contact, materialised in ``deal_progress`` at load time.

Time to first contact is counted in working hours (``reports.working_time``): on a million deals,
converting both instants to local time and measuring them in NumPy costs a report ~150 ms, while
reading a stored number costs a few. The number depends on the account's zone and on the
working-hours settings, so the build records what it used in ``deal_progress_basis`` (one row); a
report uses the stored seconds only while that row equals the current zone and settings, and
measures in NumPy as before otherwise (after a settings change, until the next load or rebuild).

The build is SQL on the engine's connection (so it shares a load's transaction), from Ibis:
local wall-clock seconds by the zone's offsets over the data's range (``local_time.
local_epoch_s``), then the same working clock as ``WorkingDay.clock`` in integer arithmetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from salesscope.warehouse.engines import Engine

DEAL_PROGRESS_BASIS = "deal_progress_basis"

# Every column of deal_progress_basis in order; a warehouse whose table differs is rebuilt on open.
DEAL_PROGRESS_BASIS_COLUMNS = {
    "timezone": "The account zone deal_progress.first_contact_work_s was measured in.",
    "work_start_s": "Start of the working day, seconds after local midnight (WorkingDay.start_s).",
    "work_end_s": "End of the working day, seconds after local midnight (WorkingDay.end_s).",
    "lunch_start_s": "Start of lunch, seconds after local midnight, cut to the working day.",
    "lunch_end_s": "End of lunch, seconds after local midnight, cut to the working day.",
    "range_start": "Earliest instant (naive UTC) whose zone offset the build looked up.",
    "range_end": "Latest instant (naive UTC) whose zone offset the build looked up.",
}

_DAY_S = 86400
_EPOCH_DAY = 4
"""1970-01-05, the Monday ``WorkingDay.clock`` counts from, in days after 1970-01-01."""


@dataclass(frozen=True)
class Basis:
    """The zone and working hours working seconds are measured by (seconds after midnight)."""

    timezone: str
    start_s: int
    end_s: int
    lunch_start_s: int
    lunch_end_s: int

    @property
    def length_s(self) -> int:
        """Working seconds in one working day."""
        return self.end_s - self.start_s - (self.lunch_end_s - self.lunch_start_s)


Frame = tuple[Basis, dt.datetime, dt.datetime]
"""A basis and the naive UTC range of instants it converts (``data_range``)."""


def current_basis(engine: Engine) -> Basis:
    """The account zone and working hours as stored now (read on the engine's connection)."""
    # Imported here: reports import the warehouse store, which imports this module.
    from salesscope.reports.working_time import WorkingDay

    stored = {str(name): str(value) for name, value in engine.query("SELECT name, value FROM settings")}
    day = WorkingDay.from_stored(stored)
    zones = engine.query('SELECT "timezone" FROM account')
    return Basis(str(zones[0][0]) if zones else "UTC", day.start_s, day.end_s,
                 day.lunch_start_s, day.lunch_end_s)


def data_range(engine: Engine) -> tuple[dt.datetime, dt.datetime]:
    """Naive UTC bounds covering every deal's creation and every activity (its first contact)."""
    (lo, hi), = engine.query("SELECT min(created_at), max(created_at) FROM deals")
    (last,), = engine.query('SELECT max("at") FROM activities')
    moments = [m for m in (lo, hi, last) if isinstance(m, dt.datetime)]
    if not moments:
        return dt.datetime(1970, 1, 5), dt.datetime(1970, 1, 5)
    return (min(moments).replace(tzinfo=None, microsecond=0),
            max(moments).replace(tzinfo=None, microsecond=0) + dt.timedelta(seconds=1))


def work_seconds(created: ir.TimestampValue, reached: ir.TimestampValue, basis: Basis,
                 lo: dt.datetime, hi: dt.datetime) -> ir.IntegerValue:
    """Working seconds from ``created`` to ``reached`` (0 when not later; NULL when either is)."""
    from salesscope.reports.local_time import local_epoch_s

    def clock(moment: ir.TimestampValue) -> ir.IntegerValue:
        local = local_epoch_s(moment, basis.timezone, lo, hi).floor().cast("int64")
        day = local // _DAY_S
        n = day - _EPOCH_DAY
        weekday = n - (n // 7) * 7  # 0 = Monday; a floor modulo, also before the epoch
        into = local - day * _DAY_S
        lunch = into.clip(basis.lunch_start_s, basis.lunch_end_s) - basis.lunch_start_s
        worked = into.clip(basis.start_s, basis.end_s) - basis.start_s - lunch
        today = ibis.ifelse(weekday < 5, worked, 0)
        whole = (n // 7) * 5 + ibis.least(weekday, 5)
        return (whole * basis.length_s + today).cast("int64")

    elapsed = clock(reached) - clock(created)
    # not GREATEST: both engines' GREATEST skips NULLs, and a deal never contacted must stay NULL
    return ibis.cases((elapsed < 0, ibis.literal(0, "int64")), else_=elapsed).cast("int64")


def basis_sql(basis: Basis, lo: dt.datetime, hi: dt.datetime) -> str:
    """``SELECT`` of the one row of ``deal_progress_basis`` (same column types on both engines)."""
    zone = basis.timezone.replace("'", "''")
    return (f"SELECT CAST('{zone}' AS VARCHAR) AS timezone, "
            f"CAST({basis.start_s} AS INTEGER) AS work_start_s, "
            f"CAST({basis.end_s} AS INTEGER) AS work_end_s, "
            f"CAST({basis.lunch_start_s} AS INTEGER) AS lunch_start_s, "
            f"CAST({basis.lunch_end_s} AS INTEGER) AS lunch_end_s, "
            f"CAST('{lo.isoformat(sep=' ')}' AS TIMESTAMP) AS range_start, "
            f"CAST('{hi.isoformat(sep=' ')}' AS TIMESTAMP) AS range_end")
