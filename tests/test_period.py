"""Periods: every form parses to the right local dates, and Kyiv midnight becomes the right UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesscope.reports.errors import FilterError
from salesscope.reports.period import Period, last_full_month


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-05", dt.date(2026, 5, 1), dt.date(2026, 6, 1)),
        ("2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
        ("2026-W01", dt.date(2025, 12, 29), dt.date(2026, 1, 5)),
        ("2026-w19", dt.date(2026, 5, 4), dt.date(2026, 5, 11)),
        ("2026-Q2", dt.date(2026, 4, 1), dt.date(2026, 7, 1)),
        ("2026-q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
        ("2026", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    ],
)
def test_forms(text: str, start: dt.date, end: dt.date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "2026-W54", "2026-Q5", "May", "26-05", "2026-05-01", ""])
def test_malformed_period_names_value_and_forms(text: str) -> None:
    with pytest.raises(FilterError) as caught:
        Period.parse(text)
    assert f"unknown period {text!r}" in str(caught.value)
    assert "YYYY-MM, YYYY-Www, YYYY-Qn or YYYY" in str(caught.value)


def test_from_to_is_inclusive_and_checked() -> None:
    period = Period.between("2026-05-03", "2026-05-09")
    assert (period.start, period.end) == (dt.date(2026, 5, 3), dt.date(2026, 5, 10))
    with pytest.raises(FilterError, match="unknown to '2026-05-01'"):
        Period.between("2026-05-03", "2026-05-01")
    with pytest.raises(FilterError, match="a date YYYY-MM-DD"):
        Period.between("3 May", None)


def test_utc_bounds_follow_the_account_timezone_across_dst() -> None:
    # Kyiv is UTC+2 in winter and UTC+3 in summer; DST starts on 2026-03-29.
    start, end = Period.parse("2026-03").utc_bounds("Europe/Kyiv")
    assert start == dt.datetime(2026, 2, 28, 22, 0)
    assert end == dt.datetime(2026, 3, 31, 21, 0)


def test_last_full_month() -> None:
    assert last_full_month(dt.date(2026, 6, 15)).label == "2026-05"
    assert last_full_month(dt.date(2026, 6, 1)).label == "2026-05"
    assert last_full_month(dt.date(2026, 1, 31)).label == "2025-12"


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_day_lies_in_exactly_its_month_week_quarter_and_year(day: dt.date) -> None:
    iso = day.isocalendar()
    for text in (f"{day:%Y-%m}", f"{iso.year}-W{iso.week:02d}",
                 f"{day.year}-Q{(day.month - 1) // 3 + 1}", f"{day.year}"):
        period = Period.parse(text)
        assert period.start <= day < period.end
