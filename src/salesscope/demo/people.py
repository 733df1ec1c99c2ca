"""Who works in the demo account: teams, managers and the head, with fixed ids.

Tests and report tests refer to people through these constants (``people.SERHIY.id``), never
through literal ids. ``users.name`` holds the Latin transliteration so that the CLI can find a
manager by the first name used in examples (``--manager Serhiy``); ``name_uk`` keeps the
Ukrainian spelling for documentation and fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass

EMAIL_DOMAIN = "demo.salesscope.local"


@dataclass(frozen=True)
class Team:
    """A sales team (a Kommo user group)."""

    id: int
    name: str


@dataclass(frozen=True)
class Person:
    """One CRM user of the demo account."""

    id: int
    name: str
    name_uk: str
    team_id: int | None
    role: str = "manager"
    active: bool = True

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def email(self) -> str:
        first, last = self.name.lower().split()[:2]
        return f"{first}.{last}@{EMAIL_DOMAIN}"


OLENA_TEAM = Team(1, "Команда Олени")
SERHIY_TEAM = Team(2, "Команда Сергія")
TEAMS: tuple[Team, ...] = (OLENA_TEAM, SERHIY_TEAM)

OLENA = Person(101, "Olena Kovalenko", "Олена Коваленко", OLENA_TEAM.id)
OLEKSANDR = Person(102, "Oleksandr Shevchenko", "Олександр Шевченко", OLENA_TEAM.id)
DARIA = Person(103, "Daria Bondarenko", "Дарія Бондаренко", OLENA_TEAM.id)
SERHIY = Person(201, "Serhiy Melnyk", "Сергій Мельник", SERHIY_TEAM.id)
MYKYTA = Person(202, "Mykyta Tkachenko", "Микита Ткаченко", SERHIY_TEAM.id)
IHOR = Person(203, "Ihor Kravchenko", "Ігор Кравченко", SERHIY_TEAM.id, active=False)
ANDRIY = Person(204, "Andriy Boyko", "Андрій Бойко", SERHIY_TEAM.id, active=False)
IRYNA = Person(205, "Iryna Moroz", "Ірина Мороз", SERHIY_TEAM.id)
TARAS = Person(206, "Taras Lysenko", "Тарас Лисенко", SERHIY_TEAM.id)
NATALIA = Person(207, "Natalia Savchenko", "Наталія Савченко", SERHIY_TEAM.id)
TETIANA = Person(100, "Tetiana Rudenko", "Тетяна Руденко", None, role="head")

NAMED_MANAGERS: tuple[Person, ...] = (
    OLENA, OLEKSANDR, DARIA, SERHIY, MYKYTA, IHOR, ANDRIY, IRYNA, TARAS, NATALIA,
)
OLENA_TEAM_MEMBERS: tuple[Person, ...] = (OLENA, OLEKSANDR, DARIA)

# Generated managers of the large (benchmark) scale: first names differ from the named ones so
# that ``--manager Serhiy`` stays unambiguous at every scale.
_EXTRA_FIRST = (
    "Bohdan", "Vasyl", "Yulia", "Kateryna", "Oksana", "Maksym", "Dmytro", "Yaroslav", "Viktoria",
    "Anastasia", "Roman", "Volodymyr", "Svitlana", "Halyna", "Yurii", "Pavlo", "Vitalii",
    "Liudmyla", "Khrystyna", "Sofia", "Anna", "Marta", "Ostap", "Zoriana", "Larysa", "Stepan",
    "Valentyna", "Denys", "Artem", "Lesia",
)
_EXTRA_LAST = (
    "Shevchuk", "Polishchuk", "Kovalchuk", "Marchenko", "Honcharenko", "Kuzmenko", "Romanenko",
    "Levchenko", "Oliinyk", "Koval", "Shvets", "Pavlenko", "Petrenko", "Vlasenko", "Hrytsenko",
    "Lytvynenko", "Klymenko", "Karpenko", "Zakharchenko", "Diachuk", "Tymoshenko", "Zinchenko",
)
EXTRA_TEAM_SIZE = 10
FIRST_EXTRA_ID = 1001


def extra_staff(count: int) -> tuple[tuple[Team, ...], tuple[Person, ...]]:
    """``count`` generated managers in teams of ten (ids from 1001, teams from 3)."""
    teams: list[Team] = []
    people: list[Person] = []
    for i in range(count):
        team_no = 3 + i // EXTRA_TEAM_SIZE
        if i % EXTRA_TEAM_SIZE == 0:
            teams.append(Team(team_no, f"Команда {team_no}"))
        first = _EXTRA_FIRST[i % len(_EXTRA_FIRST)]
        last = _EXTRA_LAST[(i // len(_EXTRA_FIRST)) % len(_EXTRA_LAST)]
        people.append(Person(FIRST_EXTRA_ID + i, f"{first} {last}", f"{first} {last}", team_no))
    return tuple(teams), tuple(people)
