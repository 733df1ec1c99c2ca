"""The dashboard's small parts: query strings, locales, cell formats, jobs, limits, the wire."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from salesscope.auth.ratelimit import LoginLimiter
from salesscope.reports import registry
from salesscope.reports.errors import FilterError
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.reports.result import ColumnSpec, ReportResult
from salesscope.warehouse.store import Warehouse
from salesscope.web import serverfile
from salesscope.web.cells import CellFormatter
from salesscope.web.i18n import Translator, catalog, negotiate
from salesscope.web.jobs import Job, JobBusy, JobRunner, parse_every, wait_until_idle
from salesscope.web.query import filters_from_query, query_of
from salesscope.web.runtime import Runtime
from salesscope.web.wire import filters_from_json, filters_to_json, result_from_ipc, result_to_ipc

FUNNEL = registry.get("funnel")


def test_query_string_gives_the_clis_filters() -> None:
    pairs = [("period", "2026-05"), ("manager", "Serhiy"), ("pipeline", "Sales,Repeat sales"),
             ("source", ""), ("by", "manager")]
    filters = filters_from_query(pairs, FUNNEL)
    assert filters == Filters(Period.parse("2026-05"), ("Sales", "Repeat sales"), ("Serhiy",), by="manager")
    assert filters_from_query(query_of(filters, FUNNEL), FUNNEL) == filters


def test_from_to_round_trips_and_options_get_defaults() -> None:
    summary = registry.get("summary")
    filters = filters_from_query([("from", "2026-05-03"), ("to", "2026-05-09")], summary)
    assert filters.period == Period.between("2026-05-03", "2026-05-09")
    assert dict(filters.options) == summary.with_defaults({})
    assert filters_from_query(query_of(filters, summary), summary) == filters
    with_limit = filters_from_query([("limit", "80")], summary)
    assert with_limit.option("limit") == 80


@pytest.mark.parametrize(("pairs", "message"), [
    ([("period", "2026-5")], "unknown period '2026-5'; valid: YYYY-MM"),
    ([("period", "2026-05"), ("from", "2026-05-01")], "both period and from/to"),
    ([("colour", "red")], "unknown parameter 'colour'; valid: period, from, to"),
    ([("period", "2026-05"), ("period", "2026-06")], "more than one period"),
    ([("to", "2026-02-30")], "2026-02-30"),
])
def test_bad_query_values_name_themselves(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        filters_from_query(pairs, FUNNEL)


@pytest.mark.parametrize(("header", "locale"), [
    (None, "uk"), ("en-US,en;q=0.9", "en"), ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
    ("de-DE,en;q=0.5", "en"), ("ru-RU", "uk"), ("fr", "uk"), ("en;q=0.2,uk;q=0.9", "uk"),
])
def test_language_from_accept_language(header: str | None, locale: str) -> None:
    assert negotiate(header) == locale


def test_catalogs_translate_and_fill_placeholders() -> None:
    assert Translator("uk")("Overview") == "Огляд"
    assert Translator("uk")("Next sync in {minutes} min.", minutes=5) == "Наступна синхронізація через 5 хв."
    assert Translator("en")("Overview") == "Overview"
    assert Translator("xx").locale == "uk"
    assert all("{" not in k or set(_fields(k)) == set(_fields(v)) for k, v in catalog("uk").items())


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize(("locale", "money", "percent", "count", "stamp"), [
    ("uk", "15 000 ₴", "45,0%", "1 234,5", "15 черв. 2026, 18:00"),
    ("en", "UAH15,000", "45.0%", "1,234.5", "15 Jun 2026, 18:00"),
])
def test_babel_formats_per_locale(locale: str, money: str, percent: str, count: str, stamp: str) -> None:
    fmt = CellFormatter(locale, "Europe/Kyiv")
    clean = str.maketrans({"\xa0": " ", "\u202f": " "})
    assert fmt.cell(15000.0, ColumnSpec("m", "M", "money", "", "UAH")).translate(clean) == money
    assert fmt.cell(0.45, ColumnSpec("f", "F", "fraction", "")).translate(clean) == percent
    assert fmt.count(1234.5).translate(clean) == count
    # 15:00 UTC is 18:00 in Kyiv (summer time, UTC+3)
    assert fmt.stamp(dt.datetime(2026, 6, 15, 15, 0)).translate(clean) == stamp
    assert fmt.cell(None, ColumnSpec("m", "M", "money", "", "UAH")) == "—"


def test_parse_every() -> None:
    assert parse_every("10m") == 600 and parse_every("90s") == 90 and parse_every("1h") == 3600
    assert parse_every("5") == 300 and parse_every("off") is None and parse_every("0") is None
    with pytest.raises(ValueError, match="malformed interval '10 minutes'"):
        parse_every("10 minutes")


def test_login_limiter_counts_failures_per_name_and_address() -> None:
    limiter = LoginLimiter(per_name=2, per_address=3, window_s=0.5)
    limiter.failed("1.1.1.1", "ann")
    assert limiter.wait_s("1.1.1.1", "ann") == 0
    limiter.failed("2.2.2.2", "ANN")
    assert limiter.wait_s("3.3.3.3", "ann") > 0  # the name is limited from anywhere
    assert limiter.wait_s("1.1.1.1", "bob") == 0
    limiter.failed("1.1.1.1", "bob")
    limiter.failed("1.1.1.1", "carl")
    assert limiter.wait_s("1.1.1.1", "dave") > 0  # the address is limited for any name
    time.sleep(0.6)
    assert limiter.wait_s("1.1.1.1", "ann") == 0


def test_filters_and_results_cross_the_wire_exactly() -> None:
    filters = Filters(Period.between("2026-05-03", None), ("Sales",), ("Serhiy",), by="manager",
                      options=(("limit", 60), ("list", True)))
    assert filters_from_json(filters_to_json(filters)) == filters
    columns = [ColumnSpec("who", "Who", "string", "A person."), ColumnSpec("n", "N", "integer", "Count."),
               ColumnSpec("amount", "Amount", "money", "Money.", "UAH"),
               ColumnSpec("at", "At", "datetime", "When.")]
    rows = [{"who": "Ann", "n": 3, "amount": 12.5, "at": dt.datetime(2026, 5, 1, 9, 30)},
            {"who": None, "n": None, "amount": None, "at": None}]
    result = ReportResult.from_rows("x", "X", columns, rows, filters.describe(), dt.datetime(2026, 6, 15, 15))
    back = result_from_ipc(result_to_ipc(result))
    assert back == result


def test_a_stale_server_note_is_ignored_and_removed(tmp_path: Path) -> None:
    note = serverfile.ServerNote(2**22 + 12345, "http://127.0.0.1:1", "t", str(tmp_path / "w.duckdb"), "x")
    path = serverfile.write(note, tmp_path)
    assert serverfile.read(str(tmp_path / "w.duckdb"), tmp_path) is None
    assert not path.exists()


@pytest.fixture
def runtime(tmp_path: Path) -> Any:
    wh = Warehouse.open(tmp_path / "w.duckdb")
    yield Runtime(wh)
    wh.close()


def test_jobs_run_on_schedule_under_the_writer_lock_and_report_failures(runtime: Runtime) -> None:
    seen: list[bool] = []

    def fine(wh: Warehouse) -> dict[str, int]:
        seen.append(runtime.writing)
        return {"rows": 3}

    def broken(wh: Warehouse) -> None:
        raise RuntimeError("Kommo answered 402: account blocked\nmore")

    runner = JobRunner(runtime, [Job("sync", fine, 0.2), Job("other", broken)])
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        wait_until_idle(runner)
    finally:
        runner.stop()
    assert seen and all(seen)
    assert runner.states["sync"].ok and runner.states["sync"].result == {"rows": 3}
    failed = runner.run_now("other")
    assert failed.ok is False and failed.message == "Kommo answered 402: account blocked"
    with pytest.raises(KeyError, match="unknown job 'nope'; valid: sync, other"):
        runner.run_now("nope")


def test_a_job_with_nothing_due_neither_runs_nor_empties_the_cache(runtime: Runtime) -> None:
    runs: list[int] = []
    runner = JobRunner(runtime, [Job("webhooks", lambda wh: runs.append(1) or {}, 0.05, due=lambda: False)])
    runtime.cache.get_or_compute(runtime.warehouse, "k", lambda: 1)
    runner.start()
    time.sleep(0.5)
    runner.stop()
    assert runs == []
    assert runtime.cache.get_or_compute(runtime.warehouse, "k", lambda: 2) == 1


def test_a_running_job_is_not_started_twice(runtime: Runtime) -> None:
    import threading

    started, release = threading.Event(), threading.Event()

    def slow(wh: Warehouse) -> None:
        started.set()
        release.wait(5)

    runner = JobRunner(runtime, [Job("sync", slow)])
    thread = threading.Thread(target=runner.run_now, args=("sync",))
    thread.start()
    started.wait(5)
    with pytest.raises(JobBusy):
        runner.run_now("sync")
    release.set()
    thread.join()


def test_the_cache_forgets_everything_when_the_warehouse_changes(runtime: Runtime) -> None:
    assert runtime.cache.get_or_compute(runtime.warehouse, "k", lambda: 1) == 1
    assert runtime.cache.get_or_compute(runtime.warehouse, "k", lambda: 2) == 1
    runtime.write(lambda wh: None)
    assert runtime.cache.get_or_compute(runtime.warehouse, "k", lambda: 3) == 3
