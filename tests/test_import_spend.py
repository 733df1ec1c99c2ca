"""`import spend`: Google Ads, Meta, TikTok and generic files against hand-computed totals.

The expected numbers and how they were worked out are in ``fixtures/spend/__init__.py``. Every
test runs on DuckDB and PostgreSQL (``make_warehouse``); the public Facebook dataset is read in
place and its totals summed here with ``csv`` and ``decimal``, independently of the importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesscope.connectors.files.errors import FileImportError, ImportInputError, MappingError
from salesscope.connectors.files.rates import MissingRateError, import_rates
from salesscope.connectors.files.spend import import_spend
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures import spend as fx

D = dt.date
KAG = Path(__file__).resolve().parents[2] / "shared" / "data" / "fb-ads-conversion" / "KAG_conversion_data.csv"
ACCOUNT = {"id": 1, "name": "Кав'ярня", "currency": "UAH", "timezone": "Europe/Kyiv", "crm": "import"}
COLUMNS = ("date", "platform", "source", "medium", "campaign", "ad", "spend", "currency", "spend_original",
           "clicks", "impressions", "file")


def account_warehouse(make_warehouse: WarehouseFactory, rates: bool = True) -> Warehouse:
    wh = make_warehouse({"account": rows_to_arrow("account", [ACCOUNT])})
    if rates:
        import_rates(wh, fx.RATES)
    return wh


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return account_warehouse(make_warehouse)


def stored(wh: Warehouse) -> list[tuple[Any, ...]]:
    """Every spend row without its id, in a stable order."""
    rows = wh.table("spend").to_pyarrow().to_pylist()
    return sorted((tuple(r[c] for c in COLUMNS) for r in rows), key=repr)


def total(wh: Warehouse, column: str = "spend", **where: str) -> Any:
    rows = [r for r in wh.table("spend").to_pyarrow().to_pylist()
            if all(r[k] == v for k, v in where.items())]
    return sum((r[column] for r in rows if r[column] is not None), Decimal(0) if "spend" in column else 0)


def test_google_ads_export_with_title_lines_and_total_rows(wh: Warehouse) -> None:
    summary = import_spend(wh, fx.GOOGLE)
    assert (summary.format, summary.rows, summary.total_rows) == ("Google Ads", 5, 2)
    assert (summary.first, summary.last, summary.spend) == (D(2026, 11, 2), D(2026, 11, 4), fx.GOOGLE_SPEND)
    g = ("google_ads", "google", "cpc")
    assert stored(wh) == sorted([
        (D(2026, 11, 2), *g, "Brand UA", "Brand exact", Decimal("1234.50"), "UAH", Decimal("1234.50"), 210, 12345,
         "google_ads.csv"),
        (D(2026, 11, 2), *g, "Generic", "Coffee machines", Decimal("850.00"), "UAH", Decimal("850.00"), 95, 4100,
         "google_ads.csv"),
        (D(2026, 11, 3), *g, "Brand UA", "Brand exact", Decimal("1100.25"), "UAH", Decimal("1100.25"), 198, 11020,
         "google_ads.csv"),
        (D(2026, 11, 3), *g, "Generic", "Coffee machines", Decimal("0.00"), "UAH", Decimal("0.00"), None, None,
         "google_ads.csv"),
        (D(2026, 11, 4), *g, "Brand UA", "Brand exact", Decimal("999.99"), "UAH", Decimal("999.99"), 175, 9870,
         "google_ads.csv"),
    ], key=repr)
    assert (total(wh), total(wh, "impressions"), total(wh, "clicks")) == (fx.GOOGLE_SPEND, 37335, 678)


def test_meta_export_converted_at_the_days_rate_half_up(wh: Warehouse) -> None:
    summary = import_spend(wh, fx.META)
    assert (summary.format, summary.converted, summary.spend) == ("Meta Ads Manager", {"EUR": 4}, fx.META_SPEND)
    rows = {(r[0], r[5]): r for r in stored(wh)}
    # 10.05 × 48.5 = 487.425 → 487.43 half-up (half-even would give 487.42)
    assert rows[D(2026, 11, 6), "Video A"][6:9] == (Decimal("487.43"), "EUR", Decimal("10.05"))
    # Saturday and Sunday take Friday's 48.5; 0.25 × 48.5 = 12.125 → 12.13
    assert rows[D(2026, 11, 7), "Video A"][6] == Decimal("970.00")
    assert rows[D(2026, 11, 8), "Carousel B"][6] == Decimal("12.13")
    # a blank ad name falls back to the ad set; Link clicks (not Clicks (all)), blank → NULL
    assert rows[D(2026, 11, 9), "Retargeting"][6] == Decimal("264.00")
    assert [rows[k][9] for k in sorted(rows)] == [12, None, 1, 4]
    assert {r[1:4] for r in rows.values()} == {("meta_ads", "facebook", "cpc")}
    assert (total(wh), total(wh, "spend_original"), total(wh, "impressions")) == (fx.META_SPEND, fx.META_EUR, 4390)


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def typed(rows: list[list[str]]) -> list[list[Any]]:
    """Cells as a spreadsheet types them: days as dates, plain numbers as numbers."""
    def cell(text: str) -> Any:
        plain = text.replace(",", "")
        if len(text) == 10 and text[4] == "-":
            return dt.date.fromisoformat(text)
        try:
            return int(plain) if plain.isdigit() else float(plain)
        except ValueError:
            return text
    return [[cell(c) for c in row] for row in rows]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_tiktok_export_csv_and_xlsx_give_the_same_rows(wh: Warehouse, make_warehouse: WarehouseFactory,
                                                       tmp_path: Path) -> None:
    summary = import_spend(wh, fx.TIKTOK)
    assert (summary.format, summary.spend, summary.converted) == ("TikTok Ads", fx.TIKTOK_SPEND, {"USD": 3})
    assert [r[6] for r in stored(wh)] == [Decimal("512.11"), Decimal("318.66"), Decimal("4170.00")]
    assert {r[1:6] for r in stored(wh)} == {("tiktok_ads", "tiktok", "cpc", "Spring promo", "Clip 1"),
                                           ("tiktok_ads", "tiktok", "cpc", "Spring promo", "Clip 2")}
    assert (total(wh, "spend_original"), total(wh, "impressions"), total(wh, "clicks")) == (fx.TIKTOK_USD, 16300, 216)
    other = account_warehouse(make_warehouse)
    xlsx = write_xlsx(tmp_path / "tiktok_ads.xlsx", typed(read_csv(fx.TIKTOK)))
    import_spend(other, xlsx)
    assert [r[:-1] for r in stored(other)] == [r[:-1] for r in stored(wh)]


def test_google_xlsx_with_title_rows_numbers_rows_as_the_sheet_does(wh: Warehouse, tmp_path: Path) -> None:
    rows = read_csv(fx.GOOGLE)
    xlsx = write_xlsx(tmp_path / "google.xlsx", [rows[0], rows[1], *typed(rows[2:])])
    assert import_spend(wh, xlsx, dry_run=True).spend == fx.GOOGLE_SPEND
    assert stored(wh) == []  # dry run
    import_spend(wh, xlsx)
    assert total(wh) == fx.GOOGLE_SPEND
    rows[5][4] = "lots"  # sheet row 6 (title, date range, header, then data from row 4)
    bad = write_xlsx(tmp_path / "bad.xlsx", [rows[0], rows[1], *typed(rows[2:])])
    with pytest.raises(FileImportError) as caught:
        import_spend(wh, bad)
    assert str(caught.value).startswith(f"{bad}: row 6, column 'Cost': unparseable amount 'lots'")


def test_google_excel_csv_in_utf16_with_tabs(wh: Warehouse, tmp_path: Path) -> None:
    """Google Ads' "Excel .csv" download: UTF-16 with a byte order mark, tab separated."""
    path = tmp_path / "google_excel.csv"
    with path.open("w", encoding="utf-16", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows(read_csv(fx.GOOGLE))
    summary = import_spend(wh, path)
    assert (summary.rows, summary.total_rows, summary.spend) == (5, 2, fx.GOOGLE_SPEND)
    assert summary.dialect == "csv, utf-16, tab"


def test_a_campaign_named_total_on_a_day_is_data_not_a_total_row(wh: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "google.csv"
    path.write_text("Campaign,Day,Currency code,Cost\nTotal sale,2026-11-03,UAH,5.00\nTotal: Account,,UAH,5.00\n"
                    "Total: Search,--,UAH,5.00\n", encoding="utf-8")
    summary = import_spend(wh, path)
    assert (summary.rows, summary.total_rows, summary.spend) == (1, 2, Decimal("5.00"))
    path.write_text("Day,Campaign,Currency code,Cost\nTotal: Account,,UAH,5.00\n", encoding="utf-8")
    with pytest.raises(ImportInputError, match=r"google\.csv: no spend rows below the header"):
        import_spend(wh, path)


def test_generic_file(wh: Warehouse) -> None:
    summary = import_spend(wh, fx.GENERIC)
    assert summary.format == "generic"
    assert {k: c.spend for k, c in summary.channels.items()} == fx.GENERIC_SPEND
    assert stored(wh) == sorted([
        (D(2026, 11, 2), "file", "instagram", "influencer", "Blogger Olena", None, Decimal("5000.00"), "UAH",
         Decimal("5000.00"), None, None, "generic.csv"),
        (D(2026, 11, 3), "file", "google", "cpc", "Brand UA", None, Decimal("1000.00"), "UAH", Decimal("1000.00"),
         10, 100, "generic.csv"),
        (D(2026, 11, 3), "file", "instagram", "influencer", "Blogger Ihor", "story", Decimal("4820.00"), "EUR",
         Decimal("100.00"), None, None, "generic.csv"),
    ], key=repr)


def test_reimport_is_identical_and_an_overlap_replaces_its_days(wh: Warehouse) -> None:
    import_spend(wh, fx.GOOGLE)
    import_spend(wh, fx.META)
    first = sorted(wh.table("spend").to_pyarrow().to_pylist(), key=lambda r: r["id"])
    again = import_spend(wh, fx.GOOGLE)
    assert again.channels["google_ads", "google"].replaced == 5
    assert sorted(wh.table("spend").to_pyarrow().to_pylist(), key=lambda r: r["id"]) == first
    overlap = import_spend(wh, fx.GOOGLE_OVERLAP)
    assert overlap.channels["google_ads", "google"].replaced == 3  # 11-03 × 2, 11-04 × 1
    assert total(wh, platform="google_ads") == fx.GOOGLE_AFTER_OVERLAP
    assert sorted(r[0] for r in stored(wh) if r[1] == "google_ads") == [
        D(2026, 11, 2), D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 5)]
    assert total(wh, platform="meta_ads") == fx.META_SPEND  # another platform: untouched


def test_source_and_medium_options_make_another_channel(wh: Warehouse) -> None:
    import_spend(wh, fx.GOOGLE)
    import_spend(wh, fx.GOOGLE, source="google_shopping", medium="ppc")
    assert total(wh, source="google") == total(wh, source="google_shopping") == fx.GOOGLE_SPEND
    assert {r[3] for r in stored(wh) if r[2] == "google_shopping"} == {"ppc"}


def snapshot(wh: Warehouse) -> list[dict[str, Any]]:
    return sorted(wh.table("spend").to_pyarrow().to_pylist(), key=lambda r: r["id"])


def test_a_missing_rate_names_currency_day_file_and_row_and_stores_nothing(wh: Warehouse, tmp_path: Path) -> None:
    import_spend(wh, fx.GOOGLE)
    before = snapshot(wh)
    late = tmp_path / "late.csv"
    # 11-16 takes Monday 11-09's rate (7 days old); 11-17 would need an 8-day-old one: none
    late.write_text("Day,Campaign name,Amount spent (EUR)\n2026-11-16,A,1.00\n2026-11-17,A,2.00\n", encoding="utf-8")
    with pytest.raises(MissingRateError) as caught:
        import_spend(wh, late)
    assert str(caught.value).startswith("no EUR rate for 2026-11-17 (file late.csv, row 3); import one with "
                                        "`salesscope rates import`")
    assert snapshot(wh) == before
    late.write_text("Day,Campaign name,Amount spent (EUR)\n2026-11-16,A,1.00\n", encoding="utf-8")
    assert import_spend(wh, late).spend == Decimal("48.00")
    odd = tmp_path / "odd.csv"
    odd.write_text("date,source,spend,currency\n2026-11-03,x,1,PLN\n", encoding="utf-8")
    with pytest.raises(MissingRateError, match=r"^no PLN rate for 2026-11-03 \(file odd.csv, row 2\)"):
        import_spend(wh, odd)


def test_no_account_is_an_error(make_warehouse: WarehouseFactory) -> None:
    empty = make_warehouse({})
    with pytest.raises(ImportInputError, match="no account yet"):
        import_spend(empty, fx.GENERIC)


BAD_FILES = [
    ("date,source,spend,currency\n2026-11-03,x,12abc,UAH\n",
     "row 2, column 'spend': unparseable amount '12abc'"),
    ("date,source,spend,currency\n2026-11-03,x,-5,UAH\n", "row 2, column 'spend': negative spend '-5'"),
    ("date,source,spend,currency\n2026-11-03,x,1,UAH\n31/11/2026,x,1,UAH\n",
     "row 3, column 'date': unparseable date '31/11/2026'"),
    ("date,source,spend,currency\n2026-11-03,x,1,hryvnia\n",
     "row 2, column 'currency': not a currency code 'hryvnia'"),
    ("date,source,spend,currency,clicks\n2026-11-03,x,1,UAH,2.5\n",
     "row 2, column 'clicks': not a whole number '2.5'"),
    ("date,source,spend,currency\n2026-11-03,,1,UAH\n", "row 2, column 'source': blank source ''"),
    ("date,spend,currency\n2026-11-03,1,UAH\n", "row 1, column 'source': missing column 'source'"),
    ("date,source,cost\n2026-11-03,x,1\n", "row 1: not a spend export this import knows"),
    ("source,spend,currency\nx,1,UAH\n", "row 1, column 'date': no date column (date) in the header ''"),
    ("Reporting starts,Reporting ends,Campaign name,Amount spent (USD)\n2026-11-01,2026-11-30,A,10\n",
     "row 2, column 'Reporting ends': row covers 2026-11-01..2026-11-30, not one day"),
    ("Report\n\"1 Nov 2026 - 3 Nov 2026\"\nDay,Campaign,Currency code,Cost\n2026-11-03,A,UAH,x\n",
     "row 4, column 'Cost': unparseable amount 'x'"),
    ("Day,Campaign,Currency code,Cost\n2026-11-03,A,UAH,1\n2026-11-04,A,UAH,1,extra\n",
     "row 3, column '#5': row has 5 cells but the header has 4"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_input_names_file_row_column_value_and_stores_nothing(wh: Warehouse, tmp_path: Path, content: str,
                                                                  message: str) -> None:
    import_spend(wh, fx.META)
    before = snapshot(wh)
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileImportError) as caught:
        import_spend(wh, path)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)
    assert snapshot(wh) == before


def test_date_option_only_for_files_without_dates(wh: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(FileImportError, match="--date is only for files without one"):
        import_spend(wh, fx.GENERIC, date=D(2026, 11, 3))
    path = tmp_path / "undated.csv"
    path.write_text("source,campaign,spend,currency\nfacebook,A,10,UAH\nfacebook,B,2.5,UAH\n", encoding="utf-8")
    summary = import_spend(wh, path, date=D(2026, 11, 3))
    assert (summary.first, summary.spend) == (D(2026, 11, 3), Decimal("12.50"))


def test_decimal_commas_and_a_mapping(wh: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "ua.csv"
    path.write_text("День;Канал;Витрати\n03.11.2026;viber;1 234,56\n04.11.2026;viber;0,44\n", encoding="cp1251")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\ndate = "День"\nsource = "Канал"\nspend = "Витрати"\n'
                       '[options]\ndecimal_comma = true\nmedium = "messenger"\n', encoding="utf-8")
    summary = import_spend(wh, path, mapping_file=mapping)
    assert (summary.rows, summary.spend) == (2, Decimal("1235.00"))  # 1234.56 + 0.44
    assert {r[1:4] for r in stored(wh)} == {("file", "viber", "messenger")}
    mapping.write_text('[columns]\ndate = "День"\nspend = "Витрати"\ncost = "x"\n', encoding="utf-8")
    with pytest.raises(MappingError, match=r"map.toml: \[columns\] cost: unknown field"):
        import_spend(wh, path, mapping_file=mapping)
    mapping.write_text('[columns]\nspend = "Spent"\n', encoding="utf-8")
    with pytest.raises(FileImportError, match=r"row 1, column 'Spent': missing column 'Spent'"):
        import_spend(wh, path, mapping_file=mapping)


@pytest.mark.skipif(not KAG.is_file(), reason=f"public dataset not found at {KAG}")
def test_public_facebook_dataset_totals_match_the_raw_file(wh: Warehouse) -> None:
    """1,143 ads, no date column, spend in USD converted at 41.5 (USD rate of 2026-11-02)."""
    with KAG.open(encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    cents = [Decimal(r["Spent"]).quantize(Decimal("0.01"), ROUND_HALF_UP) for r in raw]
    uah = sum((c * Decimal("41.5")).quantize(Decimal("0.01"), ROUND_HALF_UP) for c in cents)
    summary = import_spend(wh, KAG, mapping_file=fx.KAG_MAPPING, date=D(2026, 11, 2))
    assert (summary.rows, len(raw)) == (1143, 1143)
    assert summary.spend == uah
    assert total(wh) == uah
    assert total(wh, "spend_original") == sum(cents)
    assert total(wh, "clicks") == sum(int(r["Clicks"]) for r in raw)
    assert total(wh, "impressions") == sum(int(r["Impressions"]) for r in raw)
    assert {r[1:4] for r in stored(wh)} == {("meta_ads", "facebook", "cpc")}
    assert {r[4] for r in stored(wh)} == {r["xyz_campaign_id"] for r in raw}
    import_spend(wh, KAG, mapping_file=fx.KAG_MAPPING, date=D(2026, 11, 2))
    assert total(wh) == uah  # re-import replaces


def salesscope(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script in a real process, as a user runs it."""
    script = Path(sys.executable).parent / "salesscope"
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "120"})


def test_cli_imports_spend_and_prints_totals_per_channel(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        wh.replace({"account": rows_to_arrow("account", [ACCOUNT])})
    assert salesscope("rates", "import", str(fx.RATES), "--db", str(db)).returncode == 0
    done = salesscope("import", "spend", str(fx.META), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert f"Imported 4 spend rows (Meta Ads Manager) from {fx.META}" in done.stdout
    assert "2026-11-06 .. 2026-11-09" in done.stdout
    assert re.search(r"│ meta_ads\s+│ facebook\s+│ 2026-11-06 │ 2026-11-09 │\s+4 │\s+0 │\s+1,733.56 │", done.stdout)
    assert "Total spend: 1,733.56 UAH" in done.stdout and "Converted 4 row(s) from EUR." in done.stdout
    google = salesscope("import", "spend", str(fx.GOOGLE), "--db", str(db))
    assert "Skipped the export's 2 total row(s)." in google.stdout and "4,184.74" in google.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("date,source,spend,currency\n2026-11-03,x,1,UAH\n2026-11-04,x,lots,UAH\n", encoding="utf-8")
    failed = salesscope("import", "spend", str(bad), "--db", str(db))
    assert failed.returncode == 2
    assert failed.stderr == (f"salesscope: error: {bad}: row 3, column 'spend': unparseable amount 'lots'; "
                             "valid: a number such as 1500.50, or 1 234,50 with --decimal-comma\n")
    undated_file = tmp_path / "undated.csv"
    undated_file.write_text("ad_id,xyz_campaign_id,Spent,Clicks,Impressions\n1,916,1.5,1,10\n", encoding="utf-8")
    undated = salesscope("import", "spend", str(undated_file), "--db", str(db), "--mapping", str(fx.KAG_MAPPING))
    assert undated.returncode == 2 and "give the day the file covers with --date YYYY-MM-DD" in undated.stderr
    with Warehouse.open(db, read_only=True) as wh:
        assert total(wh) == Decimal("1733.56") + fx.GOOGLE_SPEND
