"""Engines the report tests run on: DuckDB always, PostgreSQL when SALESSCOPE_TEST_PG_URL is set.

Under CI (``CI=true``) a missing PostgreSQL is a failure, not a skip: the report suite must pass on
both engines before anything lands.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pytest

from salesscope.warehouse.store import Warehouse

PG_URL = os.environ.get("SALESSCOPE_TEST_PG_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

WarehouseFactory = Callable[[Mapping[str, pa.Table]], Warehouse]


def postgres_url_or_skip() -> str:
    if PG_URL:
        return PG_URL
    if IN_CI:
        pytest.fail("SALESSCOPE_TEST_PG_URL is not set under CI: .ci/run must start PostgreSQL")
    pytest.skip("PostgreSQL tests skipped: set SALESSCOPE_TEST_PG_URL (e.g. "
                "postgresql://postgres@127.0.0.1:5432/test) to run them")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_warehouse(engine_name: str, tmp_path: Path) -> Iterator[WarehouseFactory]:
    """Build a warehouse holding the given tables on the engine under test."""
    url = postgres_url_or_skip() if engine_name == "postgres" else None
    opened: list[tuple[Warehouse, str | None]] = []

    def build(tables: Mapping[str, pa.Table]) -> Warehouse:
        schema = None
        if url is None:
            wh = Warehouse.open(tmp_path / f"w{len(opened)}.duckdb")
        else:
            schema = f"salesscope_test_{uuid.uuid4().hex[:12]}"
            wh = Warehouse.postgres(url, schema)
        opened.append((wh, schema))
        wh.replace(tables)
        return wh

    yield build
    for wh, schema in opened:
        if schema is not None:
            wh.engine.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        wh.close()
