"""`import users`: teams by name, users matched by name with deal owners, in either order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salesscope.connectors.files import FileImportError, import_deals, import_users
from salesscope.connectors.files.ids import stable_id
from salesscope.warehouse.schema import TABLES
from salesscope.warehouse.store import Warehouse

from conftest import WarehouseFactory

FIXTURES = Path(__file__).parent / "fixtures" / "import"
USERS = FIXTURES / "users_small.csv"
USERS_MAPPING = FIXTURES / "users_small.toml"
DEALS = FIXTURES / "deals_small.csv"
DEALS_MAPPING = FIXTURES / "deals_small.toml"
NOW = dt.datetime(2026, 6, 20, 12, 0)


def snapshot(wh: Warehouse) -> dict[str, list[str]]:
    names = [t.name for t in TABLES] + ["deal_progress"]
    return {n: sorted(repr(sorted(r.items())) for r in wh.table(n).to_pyarrow().to_pylist())
            for n in names}


def people(wh: Warehouse) -> dict[str, tuple[str | None, str | None, str | None, bool]]:
    """name -> (team name, role, email, active)."""
    teams = {r["id"]: r["name"] for r in wh.rows("teams")}
    return {r["name"]: (teams.get(r["team_id"]), r["role"], r["email"], r["active"])
            for r in wh.rows("users")}


@pytest.fixture
def wh(make_warehouse: WarehouseFactory) -> Warehouse:
    return make_warehouse({})


def test_users_get_teams_roles_and_emails(wh: Warehouse) -> None:
    summary = import_users(wh, USERS, USERS_MAPPING)
    assert people(wh) == {
        "Олена Коваль": ("Команда Олени", "head", "olena@example.com", True),
        "Сергій Бондар": ("Команда Сергія", "manager", None, True),
        "Дарія Мельник": ("Команда Олени", None, "daria@example.com", True),
    }
    assert sorted(r["name"] for r in wh.rows("teams")) == ["Команда Олени", "Команда Сергія"]
    assert {r["id"] for r in wh.rows("users")} == {
        stable_id("user", "олена коваль"), stable_id("user", "сергій бондар"),
        stable_id("user", "дарія мельник")}
    assert (summary.new, summary.updated, summary.unchanged) == (3, 0, 0)
    assert summary.created == {"users": 3, "teams": 2}
    assert summary.blanks == {"role": 1, "email": 1}
    before = snapshot(wh)
    again = import_users(wh, USERS, USERS_MAPPING)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert snapshot(wh) == before


def test_users_then_deals_equals_deals_then_users(make_warehouse: WarehouseFactory) -> None:
    first, second = make_warehouse({}), make_warehouse({})
    import_users(first, USERS, USERS_MAPPING)
    import_deals(first, DEALS, DEALS_MAPPING, now=NOW)
    import_deals(second, DEALS, DEALS_MAPPING, now=NOW)
    summary = import_users(second, USERS, USERS_MAPPING)
    assert (summary.new, summary.updated) == (1, 2)  # Дарія is new; the two owners get teams
    assert snapshot(first) == snapshot(second)
    assert people(second)["Олена Коваль"][0] == "Команда Олени"


def test_unmapped_fields_keep_their_values_and_a_blank_team_means_none(
    wh: Warehouse, tmp_path: Path
) -> None:
    import_users(wh, USERS, USERS_MAPPING)
    moved = tmp_path / "moved.csv"
    moved.write_text("name,team\nОлена Коваль,Нова команда\nсергій бондар,\n", encoding="utf-8")
    mapping = tmp_path / "teams_only.toml"
    mapping.write_text('[columns]\nuser = "name"\nteam = "team"\n', encoding="utf-8")
    summary = import_users(wh, moved, mapping)
    assert (summary.new, summary.updated, summary.created) == (0, 2, {"users": 0, "teams": 1})
    assert people(wh)["Олена Коваль"] == ("Нова команда", "head", "olena@example.com", True)
    assert people(wh)["Сергій Бондар"] == (None, "manager", None, True)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("Менеджер,Команда,Роль,Пошта\nА Б,К,,\nа  б,К,,\n",
         ["row 3", "column 'Менеджер'", "duplicate user (first on row 2) 'а  б'"]),
        ("Менеджер,Команда,Роль,Пошта\nА Б,К,,\n,К,head,\n",
         ["row 3", "column 'Менеджер'", "blank user ''"]),
        ("Користувач,Команда,Роль,Пошта\nА Б,К,,\n",
         ["row 1", "column 'Менеджер'", "missing column 'Менеджер'", "valid: Користувач"]),
    ],
)
def test_bad_users_file_names_the_cell_and_changes_nothing(
    wh: Warehouse, tmp_path: Path, content: str, fragments: list[str]
) -> None:
    import_users(wh, USERS, USERS_MAPPING)
    before = snapshot(wh)
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(FileImportError) as caught:
        import_users(wh, bad, USERS_MAPPING)
    for fragment in [str(bad), *fragments]:
        assert fragment in str(caught.value)
    assert snapshot(wh) == before
