"""Reading an ad platform's export whose header may not be row 1.

Google Ads puts a report title and a date range above the header, which ``reading.read_table``
(header = row 1) cannot take. The header is therefore looked for in the first rows, as the first
row ``spend_formats.recognise`` knows; when it is row 1 the file is read by ``read_table`` itself,
else the rows below it are numbered as the spreadsheet shows them, so errors still point at the
right cell. Decoding is ``reading``'s; the delimiter is the one that splits the header into a
recognised one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

from salesscope.connectors.files.errors import FileImportError
from salesscope.connectors.files.reading import (
    CSV_SUFFIXES,
    DELIMITERS,
    XLSX_SUFFIXES,
    ReadOptions,
    SourceTable,
    decode,
    read_table,
    source_table,
)
from salesscope.connectors.files.spend_formats import FORMATS, SpendFormat, recognise
from salesscope.connectors.files.values import Cell

_HEADER_SEARCH_ROWS = 10
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r|$)")


def read_spend_table(path: Path, options: ReadOptions) -> tuple[SourceTable, SpendFormat]:
    """The file's rows under its recognised header, and which export it is."""
    if not path.is_file() or path.suffix.lower() not in (*CSV_SUFFIXES, *XLSX_SUFFIXES):
        return _recognised(read_table(path, options))  # read_table names the problem
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _read_xlsx(path, options)
    return _read_csv(path, options)


def _recognised(table: SourceTable) -> tuple[SourceTable, SpendFormat]:
    fmt = recognise(table.header)
    if fmt is None:
        raise _unrecognised(table.path, table.header)
    return table, fmt


def _unrecognised(path: Path, header: Sequence[str]) -> FileImportError:
    names = ", ".join(f.name for f in FORMATS)
    return FileImportError(path, 1, "", ", ".join(h for h in header if h)[:200],
                           f"not a spend export this import knows ({names}); header",
                           hint="a generic file needs a 'spend' column, or give --mapping MAP.toml")


def _read_csv(path: Path, options: ReadOptions) -> tuple[SourceTable, SpendFormat]:
    content, encoding = decode(path, path.read_bytes(), options.encoding)
    lines = [m for m in _LINE.findall(content[:65536]) if m][:_HEADER_SEARCH_ROWS]
    for skipped, line in enumerate(lines):
        for delimiter in (options.delimiter,) if options.delimiter else DELIMITERS:
            header = next(csv.reader(io.StringIO(line, newline=""), delimiter=delimiter), [])
            if len(header) > 1 and recognise([h.strip() for h in header]) is not None:
                if skipped == 0:
                    return _recognised(read_table(path, ReadOptions(options.encoding, delimiter)))
                rest = content[sum(len(x) for x in lines[:skipped]):]
                shown = "tab" if delimiter == "\t" else repr(delimiter)
                records = csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter)
                return _recognised(source_table(path, records, f"csv, {encoding}, {shown}", skipped))
    return _recognised(read_table(path, options))  # row 1 is the header after all: say so


def _read_xlsx(path: Path, options: ReadOptions) -> tuple[SourceTable, SpendFormat]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # read_table words the error for an unreadable workbook
        return _recognised(read_table(path, options))
    try:
        if options.sheet is not None and options.sheet not in book.sheetnames:
            return _recognised(read_table(path, options))
        sheet = book[options.sheet] if options.sheet is not None else book.worksheets[0]
        first = list(islice(sheet.iter_rows(values_only=True), _HEADER_SEARCH_ROWS))
        skipped = next((i for i, row in enumerate(first)
                        if recognise([_header_text(c) for c in row]) is not None), 0)
        if skipped == 0:
            return _recognised(read_table(path, options))
        rows = islice(sheet.iter_rows(values_only=True), skipped, None)
        return _recognised(source_table(path, rows, f"xlsx, sheet {sheet.title}", skipped))
    finally:
        book.close()


def _header_text(cell: Cell) -> str:
    return "" if cell is None else str(cell).strip()
