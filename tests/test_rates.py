"""`rates import|list`: the rate table spend is converted with, on DuckDB and PostgreSQL.

``fixtures/spend/rates.csv``: EUR on 11-02, 11-03, 11-06 (Fri), 11-09 (Mon); USD on 11-02..11-04.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesscope.connectors.files.errors import FileImportError
from salesscope.connectors.files.rates import RateBook, import_rates, list_rates
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures import spend as fx

D = dt.date
ACCOUNT = {"id": 1, "name": "Кав'ярня", "currency": "UAH", "timezone": "Europe/Kyiv", "crm": "import"}


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse({"account": rows_to_arrow("account", [ACCOUNT])})


def rates(wh: Warehouse) -> list[tuple[str, dt.date, Decimal]]:
    return [(r["currency"], r["date"], r["rate"]) for r in list_rates(wh)]


def test_import_then_correct_a_rate(wh: Warehouse, tmp_path: Path) -> None:
    summary = import_rates(wh, fx.RATES)
    assert (summary.rows, summary.new, summary.changed) == (7, 7, 0)
    assert summary.ranges == {"EUR": (D(2026, 11, 2), D(2026, 11, 9)), "USD": (D(2026, 11, 2), D(2026, 11, 4))}
    assert rates(wh)[:2] == [("EUR", D(2026, 11, 2), Decimal("48.123400")), ("EUR", D(2026, 11, 3), Decimal("48.2"))]
    assert [r[:2] for r in rates(wh)] == [("EUR", D(2026, 11, d)) for d in (2, 3, 6, 9)] + [
        ("USD", D(2026, 11, d)) for d in (2, 3, 4)]
    fix = tmp_path / "fix.csv"
    fix.write_text("Date;Currency;Rate\n03.11.2026;eur;48,25\n10.11.2026;EUR;48.1\n", encoding="cp1251")
    again = import_rates(wh, fix)
    assert (again.new, again.changed, again.unchanged) == (1, 1, 0)
    assert [r for r in rates(wh) if r[0] == "EUR"][1:] == [
        ("EUR", D(2026, 11, 3), Decimal("48.25")), ("EUR", D(2026, 11, 6), Decimal("48.5")),
        ("EUR", D(2026, 11, 9), Decimal("48")), ("EUR", D(2026, 11, 10), Decimal("48.1"))]
    assert len(list_rates(wh, "usd")) == 3
    assert import_rates(wh, fx.RATES).unchanged == 6  # 11-03 EUR goes back to 48.2: changed
    assert dict(((c, d), r) for c, d, r in rates(wh))["EUR", D(2026, 11, 3)] == Decimal("48.2")


def test_xlsx_rates_with_typed_cells(wh: Warehouse, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["date", "currency", "rate"], [dt.datetime(2026, 11, 2), "PLN", 10.2345], [D(2026, 11, 3), "PLN", 10]):
        sheet.append(row)
    book.save(tmp_path / "r.xlsx")
    import_rates(wh, tmp_path / "r.xlsx")
    assert rates(wh) == [("PLN", D(2026, 11, 2), Decimal("10.2345")), ("PLN", D(2026, 11, 3), Decimal("10"))]


H = "date,currency,rate\n2026-11-20,EUR,50\n"  # a good first row: it must not be stored either
BAD = [
    (H + "2026-11-02,EUR,abc\n", "row 3, column 'rate': not a rate 'abc'"),
    (H + "2026-11-02,EUR,0\n", "row 3, column 'rate': not a rate '0'"),
    (H + "2026-11-02,EUR,-48\n", "row 3, column 'rate': not a rate '-48'"),
    (H + "2026-11-02,EUR,48.1234567\n", "row 3, column 'rate': more than 6 decimal places in rate '48.1234567'"),
    (H + "2026-11-20,eur,49\n",
     "row 3, column 'date': second EUR rate for the same day (first on row 2): '2026-11-20'"),
    (H + "2026-11-02,UAH,1\n", "row 3, column 'currency': the account's own currency needs no rate: 'UAH'"),
    (H + "2026-11-02,euro,48\n", "row 3, column 'currency': not a currency code 'euro'"),
    (H + "11/02/2026,EUR,48\n", "row 3, column 'date': unparseable date '11/02/2026'"),
    ("date,code,rate\n2026-11-02,EUR,48\n", "row 1, column 'currency': missing column 'currency'"),
]


@pytest.mark.parametrize(("content", "message"), BAD)
def test_bad_rates_name_row_column_value_and_store_nothing(wh: Warehouse, tmp_path: Path, content: str,
                                                           message: str) -> None:
    import_rates(wh, fx.RATES)
    before = rates(wh)
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileImportError) as caught:
        import_rates(wh, path)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)
    assert rates(wh) == before


def test_a_rate_serves_up_to_seven_days_later() -> None:
    book = RateBook([{"currency": "EUR", "date": D(2026, 11, 6), "rate": Decimal("48.5")},
                     {"currency": "EUR", "date": D(2026, 11, 9), "rate": Decimal("48.0")}])
    assert book.rate("EUR", D(2026, 11, 6)) == Decimal("48.5")
    assert book.rate("EUR", D(2026, 11, 8)) == Decimal("48.5")  # Sunday: Friday's
    assert book.rate("EUR", D(2026, 11, 16)) == Decimal("48.0")  # 7 days old
    assert book.rate("EUR", D(2026, 11, 17)) is None  # 8 days old
    assert book.rate("EUR", D(2026, 11, 5)) is None  # before the first
    assert book.rate("USD", D(2026, 11, 6)) is None


def salesscope(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "salesscope"
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "120"})


def test_cli_rates_import_and_list(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as w:
        w.replace({"account": rows_to_arrow("account", [ACCOUNT])})
    done = salesscope("rates", "import", str(fx.RATES), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert f"Imported 7 rates from {fx.RATES} (csv, utf-8, ','): 7 new, 0 changed, 0 unchanged" in done.stdout
    assert "│ EUR      │ 2026-11-02 │ 2026-11-09 │" in done.stdout
    listed = salesscope("rates", "list", "--currency", "usd", "--db", str(db))
    lines: list[Any] = [line for line in listed.stdout.splitlines() if line.startswith("│")]
    assert [line.split("│")[1:4] for line in lines] == [
        [" USD      ", " 2026-11-02 ", "               41.5 "],
        [" USD      ", " 2026-11-03 ", "               41.6 "],
        [" USD      ", " 2026-11-04 ", "               41.7 "]]
    assert "3 rate(s)" in listed.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("date,currency,rate\n2026-11-02,EUR,много\n", encoding="utf-8")
    failed = salesscope("rates", "import", str(bad), "--db", str(db))
    assert failed.returncode == 2
    assert failed.stderr.startswith(f"salesscope: error: {bad}: row 2, column 'rate': not a rate 'много'")
    assert failed.stderr.count("\n") == 1
