"""Cells and files as exports write them: money, moments, encodings, delimiters, odd rows."""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from salesscope.connectors.files import values
from salesscope.connectors.files.errors import BadValue, FileImportError
from salesscope.connectors.files.ids import HASH_BASE, file_deal_id, stable_id
from salesscope.connectors.files.reading import ReadOptions, read_table, sniff_delimiter

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.mark.parametrize(
    ("cell", "decimal_comma", "expected"),
    [
        ("1500", False, "1500.00"),
        ("1,500.50", False, "1500.50"),
        ("1 500 000.5", False, "1500000.50"),
        ("₴1 200", False, "1200.00"),
        ("-75.125", False, "-75.13"),  # rounded half up to cents
        ("1 500,50", True, "1500.50"),
        ("12.345,6", True, "12345.60"),
        ("1\u00a0500,5", True, "1500.50"),  # no-break space, as Excel writes it
        (1500.5, True, "1500.50"),  # an XLSX number is a number whatever the option says
        (42, False, "42.00"),
    ],
)
def test_amounts(cell: values.Cell, decimal_comma: bool, expected: str) -> None:
    assert values.amount(cell, decimal_comma) == Decimal(expected)


@pytest.mark.parametrize(
    ("cell", "decimal_comma"),
    [("1,5", False), ("1.500.50", False), ("12 000 грн", False), ("1,500.50", True), ("", False),
     ("1e3", False), (True, False), ("99999999999999999", False)],
)
def test_bad_amounts(cell: values.Cell, decimal_comma: bool) -> None:
    with pytest.raises(BadValue):
        values.amount(cell, decimal_comma)


@pytest.mark.parametrize(
    ("cell", "formats", "expected"),
    [
        ("2026-05-01", (), "2026-04-30 21:00:00"),  # local midnight, UTC+3 in summer
        ("2026-01-15 09:30", (), "2026-01-15 07:30:00"),  # UTC+2 in winter
        ("2026-03-29 02:30", (), "2026-03-29 00:30:00"),  # before the 03:00 DST switch
        ("2026-03-29 04:30", (), "2026-03-29 01:30:00"),  # after it
        ("2026-10-25 05:00", (), "2026-10-25 03:00:00"),  # back to UTC+2
        ("2026-05-01T10:00:00+00:00", (), "2026-05-01 10:00:00"),  # an offset wins over the zone
        ("2026-05-01T10:00:00Z", (), "2026-05-01 10:00:00"),
        ("01.05.2026", (), "2026-04-30 21:00:00"),
        ("1.5.2026 8:05:09", (), "2026-05-01 05:05:09"),
        ("05/01/2026 10:00", ("%m/%d/%Y %H:%M",), "2026-05-01 07:00:00"),
        (dt.datetime(2026, 5, 1, 10, 0), (), "2026-05-01 07:00:00"),  # an XLSX date cell
        (dt.date(2026, 5, 1), (), "2026-04-30 21:00:00"),
    ],
)
def test_moments_are_local_to_the_account_and_stored_in_utc(
    cell: values.Cell, formats: tuple[str, ...], expected: str
) -> None:
    assert values.moment(cell, formats, KYIV) == dt.datetime.fromisoformat(expected)


@pytest.mark.parametrize("cell", ["05/01/2026", "31.02.2026", "2026-13-01", "yesterday", 45000])
def test_unparseable_or_ambiguous_dates_fail(cell: values.Cell) -> None:
    with pytest.raises(BadValue) as caught:
        values.moment(cell, (), KYIV)
    assert "DD.MM.YYYY[ HH:MM[:SS]]" in caught.value.choices


def test_text_tags_and_currency() -> None:
    assert values.text("  x ") == "x" and values.text("   ") is None and values.text(None) is None
    assert values.text(101.0) == "101" and values.text(1.5) == "1.5"
    assert values.tags(" vip, web ,,vip ", ",") == ["vip", "web"]
    assert values.tags(None, ",") == []
    assert values.currency(" uah ") == "UAH"
    with pytest.raises(BadValue):
        values.currency("гривня")


def test_ids_keep_whole_numbers_and_hash_the_rest() -> None:
    assert file_deal_id("123") == 123 and file_deal_id(" 7 ") == 7
    for source in ("A-7", "0", "5420aad7fec3549a85876ba1c529bd84", str(HASH_BASE)):
        assert HASH_BASE <= file_deal_id(source) < 2 * HASH_BASE
    assert file_deal_id("A-7") == stable_id("deal", "A-7") != stable_id("user", "A-7")


def test_delimiter_is_sniffed_from_consistent_columns() -> None:
    assert sniff_delimiter('a;b;c\n"1,5";2;3\n') == ";"
    assert sniff_delimiter("a,b\n1,2\n") == ","
    assert sniff_delimiter("a\tb\tc;d\n1\t2\t3;4\n") == "\t"  # more columns wins
    assert sniff_delimiter("single\nvalue\n") == ","


def test_encodings(tmp_path: Path) -> None:
    text = "Угода;Сума\nКав'ярня;1 500,50\n"
    for name, data in {
        "cp1251": text.encode("cp1251"),
        "utf-8-sig": codecs.BOM_UTF8 + text.encode("utf-8"),
        "utf-16": text.encode("utf-16"),  # Excel's "Unicode text" export
    }.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        table = read_table(path)
        assert table.header == ("Угода", "Сума"), name
        assert table.rows[0].cells == ("Кав'ярня", "1 500,50"), name
        assert table.dialect == f"csv, {name}, ';'", name


def test_rows_keep_their_spreadsheet_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text('id,name,\n1,"two\nlines"\n\n,\n4,x,\n', encoding="utf-8")
    table = read_table(path)
    assert table.header == ("id", "name")  # a trailing empty header cell is dropped
    assert [(r.number, r.cells) for r in table.rows] == [(2, ("1", "two\nlines")), (5, ("4", "x"))]
    assert table.blank_rows == 2
    path.write_text("id,name\n1,a\n2,b,extra\n", encoding="utf-8")
    with pytest.raises(FileImportError, match=r"row 3, column '#3'.*header has 2; value 'extra'"):
        read_table(path)


def test_xlsx_sheet_and_bad_files(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.append(["ignored"])
    deals = book.create_sheet("Deals")
    deals.append(["id", "amount", "when"])
    deals.append([1, 10.5, dt.datetime(2026, 5, 1, 9, 0)])
    path = tmp_path / "book.xlsx"
    book.save(path)
    table = read_table(path, ReadOptions(sheet="Deals"))
    assert table.rows[0].cells == (1, 10.5, dt.datetime(2026, 5, 1, 9, 0))
    with pytest.raises(FileImportError, match="no sheet 'Nope'; valid: Sheet, Deals"):
        read_table(path, ReadOptions(sheet="Nope"))
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf")
    with pytest.raises(FileImportError, match=r"unsupported file type '\.xls'; valid: \.csv"):
        read_table(tmp_path / "old.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(FileImportError, match="not a readable XLSX file"):
        read_table(tmp_path / "broken.xlsx")
    with pytest.raises(FileImportError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(FileImportError, match="empty file: no header row"):
        read_table(tmp_path / "empty.csv")
