"""Where the warehouse lives: --db, else SALESSCOPE_DB, else $SALESSCOPE_HOME/salesscope.duckdb."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesscope import paths
from salesscope.cli.warehouse_access import split_schema


def test_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SALESSCOPE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SALESSCOPE_DB", raising=False)
    assert paths.warehouse_target() == str(tmp_path / "home" / "salesscope.duckdb")
    monkeypatch.setenv("SALESSCOPE_DB", str(tmp_path / "env.duckdb"))
    assert paths.warehouse_target() == str(tmp_path / "env.duckdb")
    assert paths.warehouse_target(tmp_path / "cli.duckdb") == str(tmp_path / "cli.duckdb")


def test_home_defaults_to_the_platform_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALESSCOPE_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    assert paths.home() == Path("/srv/data/salesscope")


def test_postgres_urls_pass_through_and_carry_a_schema() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test?schema=acme&sslmode=disable"
    assert paths.warehouse_target(url) == url
    assert split_schema(url) == ("postgresql://postgres@127.0.0.1:5432/test?sslmode=disable", "acme")
    assert split_schema("postgres://h/db") == ("postgres://h/db", "salesscope")
