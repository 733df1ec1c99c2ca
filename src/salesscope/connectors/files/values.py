"""Cells to typed values: text, money, moments, currencies and tags, as exports write them.

A CSV cell is text; an XLSX cell may already be a number or a date. Every parser takes either and
raises ``BadValue`` naming what it expected, so the caller can say which file, row and column.
Blank cells are not parsed here: a blank stays blank (NULL), it never becomes "unknown" or 0
unless the canonical column demands a value (``deals.amount`` is 0 when not set).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from salesscope.connectors.files.errors import BadValue

Cell = str | int | float | Decimal | bool | dt.datetime | dt.date | dt.time | None

BUILT_IN_DATE_FORMS = (
    "YYYY-MM-DD",
    "YYYY-MM-DD HH:MM[:SS]",
    "ISO 8601 with an offset (2026-05-01T10:00:00+03:00)",
    "DD.MM.YYYY[ HH:MM[:SS]]",
)

_SPACES = "\u0020\u00a0\u2009\u202f"
_CURRENCY_SIGNS = "$€£₴₽₸"
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal(10) ** 16  # DECIMAL(18,2)


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and cell.strip() == "")


def text(cell: Cell) -> str | None:
    """A cell as trimmed text; whole numbers from a spreadsheet lose their ``.0``."""
    if is_blank(cell):
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat(sep=" ") if isinstance(cell, dt.datetime) else cell.isoformat()
    return str(cell).strip()


def _money_pattern(decimal_comma: bool) -> re.Pattern[str]:
    group, point = (r"[.\s]", ",") if decimal_comma else (r"[,\s]", r"\.")
    return re.compile(rf"^[+-]?(\d{{1,3}}({group}\d{{3}})+|\d+)({point}\d+)?$")


_MONEY = {flag: _money_pattern(flag) for flag in (False, True)}


def amount(cell: Cell, decimal_comma: bool = False) -> Decimal:
    """Money in cents: ``1500``, ``1,500.50``, ``1 500,50`` (with ``decimal_comma``), ``₴1500``."""
    expected = ["a number such as 1 500,50"] if decimal_comma else ["a number such as 1500.50"]
    if isinstance(cell, bool):
        raise BadValue("unparseable amount", expected)
    if isinstance(cell, int | float | Decimal):
        value = Decimal(str(cell))
    elif isinstance(cell, str):
        raw = cell.strip().strip(_CURRENCY_SIGNS).strip()
        for space in _SPACES[1:]:
            raw = raw.replace(space, " ")
        if not _MONEY[decimal_comma].match(raw):
            hint = [] if decimal_comma else ["or set decimal_comma = true in [options]"]
            raise BadValue("unparseable amount", expected + hint)
        plain = re.sub(r"\s", "", raw)
        plain = plain.replace(".", "").replace(",", ".") if decimal_comma else plain.replace(",", "")
        try:
            value = Decimal(plain)
        except InvalidOperation:
            raise BadValue("unparseable amount", expected) from None
    else:
        raise BadValue("unparseable amount", expected)
    if not value.is_finite() or abs(value) >= _MONEY_LIMIT:
        raise BadValue("amount out of range", ["below 10**16"])
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def moment(cell: Cell, formats: tuple[str, ...], zone: ZoneInfo) -> dt.datetime:
    """A date or time as naive UTC; times without an offset are local to ``zone``.

    A date alone means local midnight. ``formats`` (strptime, from ``[options] date_formats``)
    are tried before the built-in forms; slashed dates are never guessed (03/04 is ambiguous).
    """
    if isinstance(cell, dt.datetime):
        return _to_utc(cell, zone)
    if isinstance(cell, dt.date):
        return _to_utc(dt.datetime(cell.year, cell.month, cell.day), zone)
    if not isinstance(cell, str):
        raise BadValue("unparseable date", [*formats, *BUILT_IN_DATE_FORMS])
    return _moment_text(cell.strip(), formats, zone)


@lru_cache(maxsize=1 << 16)
def _moment_text(raw: str, formats: tuple[str, ...], zone: ZoneInfo) -> dt.datetime:
    """``moment`` of a text cell; cached, as exports repeat the same dates on many rows."""
    for form in formats:
        try:
            return _to_utc(dt.datetime.strptime(raw, form), zone)
        except ValueError:
            continue
    parsed = _built_in(raw)
    if parsed is None:
        raise BadValue("unparseable date", [*formats, *BUILT_IN_DATE_FORMS])
    return _to_utc(parsed, zone)


def _built_in(raw: str) -> dt.datetime | None:
    if "-" in raw[:5]:
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            return None
    match = _DOTTED.match(raw)
    if not match:
        return None
    day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _to_utc(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def currency(cell: Cell) -> str:
    """An ISO 4217 code, upper-cased."""
    code = (text(cell) or "").upper()
    if not _CURRENCY.match(code):
        raise BadValue("not a currency code", ["three letters such as UAH, USD, EUR"])
    return code


def tags(cell: Cell, separator: str) -> list[str]:
    """Tags split on ``separator``, trimmed, blanks and repeats dropped, order kept."""
    found: list[str] = []
    for part in (text(cell) or "").split(separator):
        tag = part.strip()
        if tag and tag not in found:
            found.append(tag)
    return found
