"""The canonical warehouse: migrations build exactly the declared tables, and upgrade old files."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import weakref
from pathlib import Path

import duckdb
import pytest

from salesscope.reports import activity_cache
from salesscope.warehouse import migrations
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.engines import DuckDBEngine
from salesscope.warehouse.schema import TABLES
from salesscope.warehouse.store import Warehouse, WarehouseError


def test_migrations_build_exactly_the_declared_tables(tmp_path: Path) -> None:
    Warehouse.open(tmp_path / "w.duckdb").close()
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    for table in TABLES:
        found = con.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position", [table.name]
        ).fetchall()
        declared = [(c.name, c.type, "YES" if c.nullable else "NO") for c in table.columns]
        assert [(n, t) for n, t, _ in found] == [(n, t) for n, t, _ in declared], table.name
        assert [x[2] for x in found] == [x[2] for x in declared], table.name
        keys = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [table.name]
        ).fetchone()
        assert keys is not None and tuple(keys[0]) == table.primary_key
        comments = con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [table.name]
        ).fetchall()
        assert all(comment for _, comment in comments), table.name


def test_every_column_has_a_one_line_description() -> None:
    for table in TABLES:
        assert table.description and table.primary_key
        for column in table.columns:
            assert column.description.strip() and "\n" not in column.description, column


def test_opening_an_older_warehouse_upgrades_it_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    engine = DuckDBEngine(str(path))
    assert migrations.migrate(engine, target=1) == [1]
    engine.append("teams", rows_to_arrow("teams", [{"id": 1, "name": "Alpha"}]))
    engine.execute("INSERT INTO tasks (id, kind, created_at) VALUES (7, 'call', TIMESTAMP '2026-01-05 09:00:00')")
    engine.close()

    wh = Warehouse.open(path)
    assert migrations.current_version(wh.engine) == migrations.latest_version() == 3
    assert wh.rows("teams") == [{"id": 1, "name": "Alpha"}]
    assert wh.rows("settings") == [] and wh.rows("spend") == []
    assert [(t["id"], t["deleted"]) for t in wh.rows("tasks")] == [(7, False)]
    wh.close()


def test_read_only_open_of_an_outdated_warehouse_says_how_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    engine = DuckDBEngine(str(path))
    migrations.migrate(engine, target=1)
    engine.close()
    with pytest.raises(WarehouseError, match="schema version 1"):
        Warehouse.open(path, read_only=True)


def test_a_newer_warehouse_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    Warehouse.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (99, 'future', now(), 'duckdb')")
    con.close()
    with pytest.raises(migrations.WarehouseVersionError, match="newer than this salesscope"):
        Warehouse.open(path)


def test_replace_is_all_or_nothing(tmp_path: Path) -> None:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    wh.replace({"teams": rows_to_arrow("teams", [{"id": 1, "name": "Alpha"}])})
    bad = rows_to_arrow("teams", [{"id": 2, "name": "B"}, {"id": 2, "name": "dup"}])
    with pytest.raises(duckdb.ConstraintException):
        wh.replace({"users": rows_to_arrow("users", []), "teams": bad})
    assert wh.rows("teams") == [{"id": 1, "name": "Alpha"}]
    wh.close()


def test_data_as_of_is_the_newest_finished_run(tmp_path: Path) -> None:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    assert wh.data_as_of() is None
    wh.replace({"sync_state": rows_to_arrow("sync_state", [
        {"source": "kommo", "entity": "leads", "finished_at": dt.datetime(2026, 5, 1, 10)},
        {"source": "kommo", "entity": "events", "finished_at": dt.datetime(2026, 5, 2, 10)},
    ])})
    assert wh.data_as_of() == dt.datetime(2026, 5, 2, 10)
    wh.close()


def test_stale_derived_tables_are_rebuilt_on_open(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE deal_progress")
    con.execute("CREATE TABLE deal_progress (deal_id BIGINT, outcome VARCHAR)")
    con.close()
    with pytest.raises(WarehouseError, match="derived tables of an older salesscope"):
        Warehouse.open(path, read_only=True)
    with Warehouse.open(path) as wh:
        assert "max_open_sort" in wh.table("deal_progress").columns


def test_replace_twice_replaces(tmp_path: Path) -> None:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    wh.replace({"teams": rows_to_arrow("teams", [{"id": 1, "name": "Alpha"}])})
    wh.replace({"teams": rows_to_arrow("teams", [{"id": 1, "name": "Alpha 2"}, {"id": 2, "name": "B"}])})
    assert sorted(r["name"] for r in wh.rows("teams")) == ["Alpha 2", "B"]
    wh.close()


def test_a_finished_threads_backend_and_caches_go_with_it(tmp_path: Path) -> None:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    seen: list[weakref.ref[object]] = []

    def read() -> None:
        activity_cache.activity_table(wh, "teams")  # caches an expression bound to this thread's backend
        seen.append(weakref.ref(wh.backend))

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    gc.collect()
    assert seen and seen[0]() is None
    wh.close()
