"""Reading an exported file into a header and numbered rows: CSV in any of its dialects, or XLSX.

CSV exports differ by who wrote them: Excel in Ukraine writes cp1251 with ``;``, Google Sheets
UTF-8 with ``,``, Excel's "Unicode text" UTF-16 with tabs. The encoding is found from the byte
order mark, else strict UTF-8, else cp1251; the delimiter is the one of ``,`` ``;`` tab that
splits the first rows into the same, largest number of columns. ``[options] encoding`` and
``delimiter`` override both. Rows keep their spreadsheet numbers (header = row 1) so every error
points at the cell the user sees.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from salesscope.connectors.files.errors import FileImportError
from salesscope.connectors.files.ids import name_key
from salesscope.connectors.files.values import Cell, is_blank

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t")
_SNIFF_ROWS = 50


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: its spreadsheet row number and its cells (padded to the header's width)."""

    number: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class SourceTable:
    """A file as read: where it came from, how it was decoded, its header and its data rows."""

    path: Path
    header: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    dialect: str  # e.g. "csv, cp1251, ';'" or "xlsx, sheet Deals": shown in the summary
    blank_rows: int

    def column(self, name: str) -> int:
        """The index of a mapped column: exact name first, then ignoring case and spacing."""
        exact = [i for i, h in enumerate(self.header) if h == name]
        loose = [i for i, h in enumerate(self.header) if name_key(h) == name_key(name)]
        found = exact or loose
        if len(found) == 1:
            return found[0]
        reason = "column named twice in the header:" if found else "missing column"
        raise FileImportError(self.path, 1, name, name, reason,
                              [h for h in self.header if h], hint="the header is row 1")


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file when sniffing is not enough (``[options]`` of the mapping)."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def read_table(path: Path, options: ReadOptions = ReadOptions()) -> SourceTable:
    """Read a CSV or XLSX file; an unreadable one fails naming the file and what to do."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise FileImportError(path, 0, "", str(path), "no such file")
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, options.sheet)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, options)
    raise FileImportError(path, 0, "", suffix or path.name, "unsupported file type",
                          [*CSV_SUFFIXES, *XLSX_SUFFIXES])


def _read_csv(path: Path, options: ReadOptions) -> SourceTable:
    content, encoding = decode(path, path.read_bytes(), options.encoding)
    delimiter = options.delimiter or sniff_delimiter(content)
    records = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    return source_table(path, records, f"csv, {encoding}, {shown}")


def decode(path: Path, data: bytes, forced: str | None) -> tuple[str, str]:
    """The file's text and the encoding it was in."""
    if forced:
        try:
            return data.decode(forced), forced
        except (UnicodeDecodeError, LookupError) as exc:
            raise FileImportError(path, 0, "", forced, "cannot decode the file as", hint=str(exc)) from None
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name).lstrip("\ufeff"), name
    for name in ("utf-8", "cp1251"):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise FileImportError(path, 0, "", "utf-8, cp1251", "cannot decode the file as any of",
                          hint="set [options] encoding")


def sniff_delimiter(content: str) -> str:
    """The delimiter that splits the first rows into the same, largest number of columns."""
    sample = content[:65536]
    if len(content) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = ",", (False, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        rows = [r for r in islice(reader, _SNIFF_ROWS) if r]
        if not rows:
            continue
        width = len(rows[0])
        score = (width > 1 and all(len(r) == width for r in rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_xlsx(path: Path, sheet: str | None) -> SourceTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError or its own errors
        raise FileImportError(path, 0, "", path.name, f"not a readable XLSX file ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileImportError(path, 0, "", sheet, "no sheet", list(book.sheetnames))
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        return source_table(path, worksheet.iter_rows(values_only=True), f"xlsx, sheet {worksheet.title}")
    finally:
        book.close()


def source_table(path: Path, records: Iterable[Sequence[Cell]], dialect: str, skipped: int = 0) -> SourceTable:
    """The header (after ``skipped`` title lines), then rows numbered as the file numbers them.

    Wholly blank rows are skipped but still numbered, so errors point at the row a user sees.
    """
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        raise FileImportError(path, skipped + 1, "", "", "empty file: no header row")
    header = [("" if c is None else str(c)).strip() for c in first]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise FileImportError(path, skipped + 1, "", "", f"blank header row; the header must be row {skipped + 1}")
    width = len(header)
    rows: list[SourceRow] = []
    blank = 0
    for number, record in enumerate(iterator, start=skipped + 2):
        cells = tuple(record)
        if all(is_blank(c) for c in cells):
            blank += 1
            continue
        extra = [c for c in cells[width:] if not is_blank(c)]
        if extra:
            raise FileImportError(path, number, f"#{width + 1}", extra[0],
                                  f"row has {len(cells)} cells but the header has {width}; value")
        rows.append(SourceRow(number, cells[:width] + (None,) * (width - len(cells))))
    return SourceTable(path, tuple(header), tuple(rows), dialect, blank)
