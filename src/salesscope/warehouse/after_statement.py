"""An engine that runs a callback after each statement: the derived rebuild's hook for a lean sync.

Why: a sync's peak memory (issue 3) comes in the derived rebuild, where each statement leaves
freed but resident pages in DuckDB's allocator; a lean sync returns them after each statement
(``connectors.kommo.lean.trim_malloc``, ~1 ms) without the builders (``warehouse.derived*``) knowing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
from ibis.backends import BaseBackend

from salesscope.warehouse.engines import Engine


class AfterEachStatement:
    """``engine``, calling ``after()`` once each ``execute`` has returned (same connection, same
    transaction: the rebuild stays one transaction)."""

    def __init__(self, engine: Engine, after: Callable[[], None]) -> None:
        self.engine = engine
        self.after = after
        self.name = engine.name

    def execute(self, sql: str) -> None:
        self.engine.execute(sql)
        self.after()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.engine.query(sql)

    def append(self, table: str, data: pa.Table) -> None:
        self.engine.append(table, data)

    def upsert(self, table: str, data: pa.Table) -> None:
        self.engine.upsert(table, data)

    def ibis(self) -> BaseBackend:
        return self.engine.ibis()

    def close(self) -> None:
        self.engine.close()
