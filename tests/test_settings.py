"""Declared settings: typed values, defaults, per-pipeline names, bad values named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salesscope import settings
from salesscope.warehouse.store import Warehouse

from fixtures.funnel import account


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    wh.replace(account.tables())
    return wh


def test_defaults_and_stored_values(wh: Warehouse) -> None:
    assert settings.get(wh, "overload_limit") == 60
    assert settings.get(wh, "lunch_start") == dt.time(13, 0)
    assert settings.set_value(wh, "overload_limit", "45") == 45
    assert settings.get(wh, "overload_limit") == 45
    settings.set_value(wh, "overload_limit", "50")
    assert settings.stored(wh) == {"overload_limit": "50"}


def test_proposal_stage_by_name_or_configured(wh: Warehouse) -> None:
    assert settings.proposal_stage(wh, 1) == account.S3  # the stage named "Proposal"
    assert settings.proposal_stage(wh, 2) is None  # "Other" has no stage named like one
    settings.set_value(wh, "proposal_stage:1", str(account.S4))
    assert settings.proposal_stage(wh, 1) == account.S4


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("colour", "red", "unknown setting 'colour'; valid: overload_limit"),
        ("overload_limit", "-3", "setting overload_limit: '-3' is not a positive whole number"),
        ("work_start", "9am", "setting work_start: '9am' is not a time HH:MM"),
        ("proposal_stage", "5", "must be named proposal_stage:<pipeline id>"),
        ("overload_limit:1", "5", "must be named overload_limit"),
    ],
)
def test_bad_settings_are_named(wh: Warehouse, name: str, value: str, message: str) -> None:
    with pytest.raises(settings.SettingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings.set_value(wh, name, value)
    assert settings.stored(wh) == {}
