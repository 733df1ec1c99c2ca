"""`import deals` against a hand-checked file, in every encoding and format, on DuckDB and PostgreSQL.

``fixtures/import/deals_small.csv`` is a five-deal Ukrainian export; ``expected_small_deals.csv``
says, row by row and with the reason, what each deal must become (UTC times worked out by hand
from Europe/Kyiv). The same rows are written as UTF-8, UTF-8 with BOM, cp1251 with ``;``, tab
separated and XLSX (typed cells), and each must give exactly the expected deals.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from salesscope.connectors.files import FileImportError, MappingError, import_deals
from salesscope.connectors.files.ids import HASH_BASE, stable_id
from salesscope.connectors.files.mapping import load_deal_mapping
from salesscope.warehouse.arrow import rows_to_arrow
from salesscope.warehouse.schema import TABLES
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory
from fixtures.funnel import account

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SMALL = FIXTURES / "deals_small.csv"
MAPPING = FIXTURES / "deals_small.toml"
NOW = dt.datetime(2026, 6, 20, 12, 0)


def snapshot(wh: Warehouse) -> dict[str, list[str]]:
    """Every row of every canonical table and of deal_progress, as sorted text."""
    names = [t.name for t in TABLES] + ["deal_progress"]
    return {n: sorted(repr(sorted(r.items())) for r in wh.table(n).to_pyarrow().to_pylist())
            for n in names}


def source_rows() -> list[list[str]]:
    with SMALL.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def _typed(header: str, text: str) -> Any:
    """A cell as a spreadsheet would type it: ids and money as numbers, times as dates."""
    if text == "":
        return None
    if header == "ID" and text.isdigit():
        return int(text)
    if header == "Бюджет":
        return float(text.replace(" ", "").replace(",", "."))
    if header in ("Створено", "Закрито"):
        if "." in text:
            return dt.datetime.strptime(text, "%d.%m.%Y %H:%M")
        return dt.datetime.fromisoformat(text)
    return text


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(rows[0])
    for row in rows[1:]:
        sheet.append([_typed(h, v) for h, v in zip(rows[0], row, strict=True)])
    book.save(path)
    return path


def variant(kind: str, folder: Path) -> Path:
    rows = source_rows()
    if kind == "utf-8":
        return SMALL
    if kind == "utf-8-bom":
        return write_csv(folder / "bom.csv", rows, "utf-8-sig")
    if kind == "cp1251-semicolon":
        return write_csv(folder / "cp1251.csv", rows, "cp1251", ";")
    if kind == "tab":
        return write_csv(folder / "tab.tsv", rows, "utf-8", "\t")
    return write_xlsx(folder / "deals.xlsx", rows)


DIALECTS = {"utf-8": "csv, utf-8, ','", "utf-8-bom": "csv, utf-8-sig, ','",
            "cp1251-semicolon": "csv, cp1251, ';'", "tab": "csv, utf-8, tab",
            "xlsx": "xlsx, sheet Sheet"}


def deals_as_text(wh: Warehouse) -> dict[str, dict[str, str]]:
    """Each deal with names instead of ids, every value as the expected file writes it."""
    users = {r["id"]: r["name"] for r in wh.rows("users")}
    pipelines = {r["id"]: r["name"] for r in wh.rows("pipelines")}
    stages = {r["id"]: r for r in wh.rows("stages")}
    contacts = {r["id"]: r["name"] for r in wh.rows("contacts")}

    def show(value: Any) -> str:
        return "" if value is None else str(value)

    out = {}
    for d in wh.rows("deals"):
        key = str(d["id"]) if d["id"] < HASH_BASE else "hash"
        out[key if key != "hash" else f"hash:{d['name']}"] = {
            "name": show(d["name"]), "owner": show(users.get(d["owner_id"])),
            "pipeline": pipelines[d["pipeline_id"]], "stage": stages[d["stage_id"]]["name"],
            "stage_kind": stages[d["stage_id"]]["kind"], "amount": str(d["amount"]),
            "currency": d["currency"], "created_at_utc": show(d["created_at"]),
            "closed_at_utc": show(d["closed_at"]), "loss_reason": show(d["loss_reason"]),
            "source": show(d["source"]), "utm_source": show(d["utm_source"]),
            "utm_medium": show(d["utm_medium"]), "utm_campaign": show(d["utm_campaign"]),
            "tags": "|".join(d["tags"]), "contact": show(contacts.get(d["contact_id"])),
        }
    return out


def expected_deals() -> dict[str, dict[str, str]]:
    with (FIXTURES / "expected_small_deals.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # The hashed deal is keyed by its name in deals_as_text (its id is a hash of "A-7").
    return {(r["id"] if not r["id"].startswith("hash:") else f"hash:{r['name']}"):
            {k: v for k, v in r.items() if k not in ("id", "why")} for r in rows}


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse({})


@pytest.mark.parametrize("kind", list(DIALECTS))
def test_every_column_matches_the_hand_checked_file(wh: Warehouse, kind: str, tmp_path: Path) -> None:
    summary = import_deals(wh, variant(kind, tmp_path), MAPPING, now=NOW)
    assert summary.dialect == DIALECTS[kind]
    assert deals_as_text(wh) == expected_deals()
    assert stable_id("deal", "A-7") in {d["id"] for d in wh.rows("deals")}
    assert (summary.rows, summary.new, summary.updated, summary.unchanged) == (5, 5, 0, 0)
    assert summary.created == {"users": 2, "pipelines": 2, "stages": 8, "contacts": 2}
    # Blank optional cells are imported and counted: closed_at only on won/lost deals, loss_reason
    # only on lost ones.
    assert summary.blanks == {"owner": 1, "pipeline": 1, "amount": 1, "source": 1, "tags": 2,
                              "contact": 2, "utm_source": 4, "utm_medium": 4, "utm_campaign": 4}
    assert summary.not_mapped == ["currency", "utm_content"]


def test_account_is_created_once_with_the_mapping_currency_and_timezone(wh: Warehouse) -> None:
    import_deals(wh, SMALL, MAPPING, account_name="Кав'ярня", now=NOW)
    import_deals(wh, SMALL, MAPPING, account_name="Other name", now=NOW)
    assert wh.rows("account") == [{"id": 1, "name": "Кав'ярня", "currency": "UAH",
                                   "timezone": "Europe/Kyiv", "crm": "import", "subdomain": None,
                                   "base_url": None}]
    state = wh.rows("sync_state")
    assert [(s["source"], s["entity"], s["rows"]) for s in state] == [("import", "deals", 5)]
    assert state[0]["cursor"].startswith("deals_small.csv sha256:")


def test_reimporting_the_same_file_changes_nothing(wh: Warehouse) -> None:
    import_deals(wh, SMALL, MAPPING, now=NOW)
    before = snapshot(wh)
    again = import_deals(wh, SMALL, MAPPING, now=NOW + dt.timedelta(days=3))
    assert snapshot(wh) == before
    assert (again.new, again.updated, again.unchanged, again.stage_changes) == (0, 0, 5, 0)
    assert again.created == {} and not again.changed_anything


def _edited(tmp_path: Path, edit: tuple[int, int, str]) -> Path:
    rows = source_rows()
    row, column, value = edit
    rows[row][column] = value
    return write_csv(tmp_path / "edited.csv", rows)


BAD_INPUTS = {
    # case: (row index in the file, column index, new value) -> fragments of the one-line error
    "missing column": ((0, 4, "Стадія"), ["row 1", "column 'Етап'", "missing column 'Етап'",
                                          "valid: ID, Угода"]),
    "unparseable date": ((2, 6, "2026-15-05"), ["row 3", "column 'Створено'", "'2026-15-05'",
                                                "unparseable date", "DD.MM.YYYY"]),
    "unparseable closing date": ((3, 7, "вчора"), ["row 4", "column 'Закрито'", "'вчора'",
                                                   "unparseable date"]),
    "unparseable amount": ((2, 5, "2 000 грн"), ["row 3", "column 'Бюджет'", "'2 000 грн'",
                                                 "unparseable amount"]),
    "unmapped stage": ((4, 4, "Відмова"), ["row 5", "column 'Етап'", "unmapped stage 'Відмова'",
                                           "valid: Нова заявка, КП надіслано, Успішно, Втрачено"]),
    "duplicate id": ((5, 0, "101"), ["row 6", "column 'ID'", "duplicate deal_id (first on row 2) '101'"]),
    "blank created_at": ((1, 6, ""), ["row 2", "column 'Створено'", "blank created_at",
                                      "default_created_at"]),
}


def test_bad_file_names_file_row_column_value_and_changes_nothing(wh: Warehouse, tmp_path: Path) -> None:
    import_deals(wh, SMALL, MAPPING, now=NOW)
    before = snapshot(wh)
    for case, (edit, fragments) in BAD_INPUTS.items():
        bad = _edited(tmp_path, edit)
        with pytest.raises(FileImportError) as caught:
            import_deals(wh, bad, MAPPING, now=NOW)
        message = str(caught.value)
        assert message.startswith(str(bad)), (case, message)
        for fragment in fragments:
            assert fragment in message, (case, message)
        assert snapshot(wh) == before, case


def test_a_stage_move_between_imports_is_recorded_once(wh: Warehouse, tmp_path: Path) -> None:
    """102 is won between two exports, 101 moves on: one change row each, first stage kept."""
    import_deals(wh, SMALL, MAPPING, now=NOW)
    rows = source_rows()
    rows[2][4], rows[2][7] = "Успішно", "2026-05-25 12:00"  # 102: КП надіслано -> won
    rows[1][4] = "КП надіслано"  # 101: Нова заявка -> КП надіслано, no date in the file
    later = write_csv(tmp_path / "later.csv", rows)
    summary = import_deals(wh, later, MAPPING, now=NOW)
    assert (summary.updated, summary.unchanged, summary.stage_changes) == (2, 3, 2)
    stage_names = {r["id"]: r["name"] for r in wh.rows("stages")}
    changes = sorted((c["deal_id"], stage_names[c["from_stage_id"]], stage_names[c["to_stage_id"]],
                      c["at"]) for c in wh.rows("deal_stage_changes"))
    assert changes == [
        (101, "Нова заявка", "КП надіслано", NOW),  # when the import saw it
        (102, "КП надіслано", "Успішно", dt.datetime(2026, 5, 25, 9, 0)),  # closed_at, Kyiv UTC+3
    ]
    progress = {r["deal_id"]: r for r in wh.rows("deal_progress")}
    assert (progress[102]["max_open_sort"], progress[102]["outcome"]) == (2, "won")
    assert stage_names[progress[102]["last_open_stage_id"]] == "КП надіслано"
    before = snapshot(wh)
    assert import_deals(wh, later, MAPPING, now=NOW + dt.timedelta(days=1)).stage_changes == 0
    assert snapshot(wh) == before


def test_dry_run_counts_and_writes_nothing(wh: Warehouse) -> None:
    before = snapshot(wh)
    summary = import_deals(wh, SMALL, MAPPING, dry_run=True, now=NOW)
    assert (summary.new, summary.dry_run) == (5, True)
    assert snapshot(wh) == before


ENTERED_MAPPING = """
[columns]
deal_id = "ID"
stage = "Етап"
created_at = "Створено"
closed_at = "Закрито"
amount = "Бюджет"

[stages]
"Нова заявка" = { kind = "open", order = 1 }
"КП надіслано" = { kind = "open", order = 2 }
"Успішно" = { kind = "won", order = 10 }
"Втрачено" = { kind = "lost", order = 11 }

[stage_entered]
"КП надіслано" = "КП дата"

[options]
timezone = "Europe/Kyiv"
default_currency = "UAH"
"""


def test_stage_entered_columns_become_the_history(wh: Warehouse, tmp_path: Path) -> None:
    """[stage_entered]: start in the first open stage, move at each dated stage, close at closed_at."""
    rows = [["ID", "Етап", "Створено", "КП дата", "Закрито", "Бюджет"],
            ["1", "Успішно", "2026-05-04 10:00", "2026-05-06 10:00", "2026-05-09 10:00", "100"],
            ["2", "Втрачено", "2026-05-04 10:00", "2026-05-05 10:00", "2026-05-07 10:00", "50"],
            ["3", "Втрачено", "2026-05-04 10:00", "", "2026-05-07 10:00", "70"],
            ["4", "Нова заявка", "2026-05-04 10:00", "", "", ""]]
    mapping = tmp_path / "entered.toml"
    mapping.write_text(ENTERED_MAPPING, encoding="utf-8")
    import_deals(wh, write_csv(tmp_path / "entered.csv", rows), mapping, now=NOW)
    names = {r["id"]: r["name"] for r in wh.rows("stages")}
    changes = sorted((c["deal_id"], c["at"].isoformat(" "), names[c["from_stage_id"]],
                      names[c["to_stage_id"]]) for c in wh.rows("deal_stage_changes"))
    assert changes == [
        (1, "2026-05-06 07:00:00", "Нова заявка", "КП надіслано"),
        (1, "2026-05-09 07:00:00", "КП надіслано", "Успішно"),
        (2, "2026-05-05 07:00:00", "Нова заявка", "КП надіслано"),
        (2, "2026-05-07 07:00:00", "КП надіслано", "Втрачено"),
        (3, "2026-05-07 07:00:00", "Нова заявка", "Втрачено"),
    ]
    progress = {r["deal_id"]: (names[r["last_open_stage_id"]], r["outcome"])
                for r in wh.rows("deal_progress")}
    assert progress == {1: ("КП надіслано", "won"), 2: ("КП надіслано", "lost"),
                        3: ("Нова заявка", "lost"), 4: ("Нова заявка", "open")}
    amounts = {r["id"]: r["amount"] for r in wh.rows("deals")}
    assert amounts == {1: Decimal("100.00"), 2: Decimal("50.00"), 3: Decimal("70.00"),
                       4: Decimal("0.00")}


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('[columns]\ndeal_id = "ID"\nstagee = "Етап"\n', "[columns] stagee: unknown field; valid: deal_id"),
        ('[columns]\ndeal_id = "ID"\n', "required field(s) stage, created_at not mapped"),
        ('[columns]\ndeal_id = "ID"\nstage = "E"\ncreated_at = "C"\n[stages]\nWon = { kind = "won", '
         'order = 1 }\n', "needs at least one open stage"),
        ('[columns]\ndeal_id = "ID"\nstage = "E"\ncreated_at = "C"\n[stages]\nNew = { kind = "new", '
         'order = 1 }\n', "unknown kind 'new'; valid: open, won, lost"),
        ('[columns]\ndeal_id = "ID"\nstage = "E"\ncreated_at = "C"\n[stages]\nNew = { kind = "open", '
         'order = 1 }\n[options]\ntimezone = "Kyiv"\n', "[options] timezone: unknown timezone 'Kyiv'"),
        ('[columns]\ndeal_id = "ID"\nstage = "E"\ncreated_at = "C"\n[stages]\nNew = { kind = "open", '
         'order = 1 }\n[options]\nsheet_name = "x"\n', "[options] sheet_name: unknown option"),
        ("[columns\n", "not valid TOML"),
    ],
)
def test_bad_mapping_names_the_key(tmp_path: Path, toml: str, fragment: str) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(toml, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_deal_mapping(mapping)
    assert str(caught.value).startswith(str(mapping))
    assert fragment in str(caught.value)


def test_a_new_warehouse_needs_a_currency(wh: Warehouse, tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace('default_currency = "UAH"\n', ""),
                       encoding="utf-8")
    with pytest.raises(MappingError, match=r"default_currency: the warehouse has no account yet"):
        import_deals(wh, SMALL, mapping, now=NOW)
    assert wh.rows("deals") == []


def test_names_match_what_a_synced_warehouse_already_holds(
    make_warehouse: WarehouseFactory, tmp_path: Path
) -> None:
    """Into the funnel fixture as if synced from Kommo: owners, pipeline and stages by name."""
    tables = account.tables()
    tables["account"] = rows_to_arrow("account", [{"id": 1, "name": "Synced", "currency": "UAH",
                                                    "timezone": "Europe/Kyiv", "crm": "kommo"}])
    wh = make_warehouse(tables)
    before = snapshot(wh)
    file = write_csv(tmp_path / "more.csv", [
        ["ID", "Owner", "Pipeline", "Status", "Created", "Budget"],
        ["9001", "anna SHEVCHUK", "sales", "s1", "2026-05-20 10:00", "10"],
        ["9002", "Nova Person", "Sales", "WON", "2026-05-21 10:00", "20"],
    ])
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\ndeal_id = "ID"\nowner = "Owner"\npipeline = "Pipeline"\n'
                       'stage = "Status"\ncreated_at = "Created"\namount = "Budget"\n'
                       '[stages]\nS1 = { kind = "open", order = 1 }\nWon = { kind = "won", order = 2 }\n',
                       encoding="utf-8")
    summary = import_deals(wh, file, mapping, now=NOW)
    assert summary.created == {"users": 1} and summary.account_created is None
    after = snapshot(wh)
    for name in ("account", "teams", "pipelines", "stages", "contacts"):
        assert after[name] == before[name], name  # the CRM's own rows are left as they were
    deals = {d["id"]: d for d in wh.rows("deals")}
    assert (deals[9001]["owner_id"], deals[9001]["pipeline_id"], deals[9001]["stage_id"]) == (
        account.ANNA, 1, account.S1)
    assert (deals[9002]["stage_id"], deals[9002]["currency"]) == (account.WON, "UAH")
    assert deals[9001]["created_at"] == dt.datetime(2026, 5, 20, 7, 0)  # the account's Kyiv time
    assert len(deals) == len(account.DEALS) + 2


PER_PIPELINE_MAPPING = """
[columns]
deal_id = "ID"
pipeline = "Воронка"
stage = "Етап"
created_at = "Створено"

[stages]
"Нова" = { kind = "open", order = 1 }
"Оплачено" = { kind = "won", order = 5, name = "Успішно" }
"Успішно" = { kind = "won", order = 5 }

[pipeline_stages."Повторні продажі"]
"Нагадування" = { kind = "open", order = 1 }
"Повторна покупка" = { kind = "won", order = 2 }

[options]
timezone = "Europe/Kyiv"
default_currency = "UAH"
encoding = "cp1251"
delimiter = ";"
date_format = "%d/%m/%Y"
"""


def test_pipeline_stages_merged_values_and_read_options(wh: Warehouse, tmp_path: Path) -> None:
    """One pipeline with its own stages; two values naming one stage; options that read the file."""
    file = write_csv(tmp_path / "deals.txt", [
        ["ID", "Воронка", "Етап", "Створено"],
        ["1", "Продажі", "Оплачено", "04/05/2026"],
        ["2", "Продажі", "успішно", "2026-05-04"],
        ["3", "Повторні продажі", "Повторна покупка", "05/05/2026"],
    ], encoding="cp1251", delimiter=";")
    mapping = tmp_path / "map.toml"
    mapping.write_text(PER_PIPELINE_MAPPING, encoding="utf-8")
    summary = import_deals(wh, file, mapping, now=NOW)
    assert summary.dialect == "csv, cp1251, ';'"
    pipelines = {r["id"]: r["name"] for r in wh.rows("pipelines")}
    stages = {r["id"]: r for r in wh.rows("stages")}
    by_pipeline = sorted((pipelines[s["pipeline_id"]], s["sort"], s["name"], s["kind"])
                         for s in stages.values())
    assert by_pipeline == [("Повторні продажі", 1, "Нагадування", "open"),
                           ("Повторні продажі", 2, "Повторна покупка", "won"),
                           ("Продажі", 1, "Нова", "open"), ("Продажі", 5, "Успішно", "won")]
    deals = {d["id"]: (stages[d["stage_id"]]["name"], d["created_at"]) for d in wh.rows("deals")}
    assert deals == {1: ("Успішно", dt.datetime(2026, 5, 3, 21, 0)),
                     2: ("Успішно", dt.datetime(2026, 5, 3, 21, 0)),
                     3: ("Повторна покупка", dt.datetime(2026, 5, 4, 21, 0))}
    bad = write_csv(tmp_path / "bad.txt", [["ID", "Воронка", "Етап", "Створено"],
                                           ["4", "Повторні продажі", "Нова", "04/05/2026"]],
                    encoding="cp1251", delimiter=";")
    with pytest.raises(FileImportError, match=r"row 2, column 'Етап': unmapped stage 'Нова'; "
                                              r"valid: Нагадування, Повторна покупка"):
        import_deals(wh, bad, mapping, now=NOW)
