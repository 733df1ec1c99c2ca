"""Contacts: the people and companies the deals are made with.

Every Sales deal brings a new contact; repeat-sales deals come back to a contact who bought
before, so some contacts have two or more won deals. About one contact in eight is a company.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.demo import columns
from salesscope.demo.book import DealBook
from salesscope.demo.clock import DemoCalendar
from salesscope.demo.roster import Roster

FIRST_CONTACT_ID = 40_000_001

FIRST_NAMES = (
    ("Олександр", "oleksandr"), ("Марія", "mariia"), ("Іван", "ivan"), ("Анна", "anna"),
    ("Петро", "petro"), ("Юлія", "yuliia"), ("Василь", "vasyl"), ("Оксана", "oksana"),
    ("Дмитро", "dmytro"), ("Катерина", "kateryna"), ("Максим", "maksym"), ("Ольга", "olha"),
    ("Богдан", "bohdan"), ("Світлана", "svitlana"), ("Роман", "roman"), ("Людмила", "liudmyla"),
    ("Віктор", "viktor"), ("Галина", "halyna"), ("Юрій", "yurii"), ("Софія", "sofiia"),
)
LAST_NAMES = (
    ("Ткачук", "tkachuk"), ("Поліщук", "polishchuk"), ("Марченко", "marchenko"),
    ("Гончаренко", "honcharenko"), ("Кузьменко", "kuzmenko"), ("Романенко", "romanenko"),
    ("Левченко", "levchenko"), ("Олійник", "oliinyk"), ("Коваль", "koval"), ("Швець", "shvets"),
    ("Павленко", "pavlenko"), ("Петренко", "petrenko"), ("Власенко", "vlasenko"),
    ("Гриценко", "hrytsenko"), ("Литвиненко", "lytvynenko"), ("Клименко", "klymenko"),
    ("Карпенко", "karpenko"), ("Захарченко", "zakharchenko"), ("Дячук", "diachuk"),
)
COMPANIES = (
    ("ТОВ «Будмайстер»", "budmaister"), ("ТОВ «Агроресурс»", "agroresurs"),
    ("ТОВ «Київтех»", "kyivtech"), ("ТОВ «Світло Плюс»", "svitloplus"),
    ("ТОВ «Медтехніка»", "medtekhnika"), ("ТОВ «Дніпро Логістик»", "dnipro-logistic"),
    ("ФОП Еко Дім", "ekodim"), ("ТОВ «Смарт Офіс»", "smartoffice"),
    ("ТОВ «Фудмаркет»", "foodmarket"), ("ТОВ «Альфа Сервіс»", "alfaservice"),
)
MAIL_DOMAINS = ("gmail.com", "ukr.net", "i.ua", "outlook.com")
PHONE_CODES = np.array([50, 63, 66, 67, 68, 73, 93, 95, 96, 97, 98, 99], dtype=np.int64)


def contact_phones(n: int, rng: np.random.Generator) -> pa.Array:
    """Ukrainian mobile numbers, +380XXXXXXXXX."""
    number = PHONE_CODES[rng.integers(0, len(PHONE_CODES), n)] * 10_000_000 + rng.integers(
        0, 10_000_000, n
    )
    return columns.numbered("+380", number)


def contacts_table(
    book: DealBook,
    updated_s: np.ndarray,
    phones: pa.Array,
    roster: Roster,
    calendar: DemoCalendar,
    rng: np.random.Generator,
) -> pa.Table:
    """One row per contact; ``updated_s`` is each deal's last change (local seconds)."""
    n = book.n_contacts
    lead = book.leads
    first_deal = np.full(n, len(book), dtype=np.int64)
    np.minimum.at(first_deal, book.contact, np.arange(len(book)))
    last_update = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_update, book.contact, updated_s)
    company = rng.random(n) < 0.12
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    firm = rng.integers(0, len(COMPANIES), n)
    person_name = columns.joined([
        columns.labels(first, [f for f, _ in FIRST_NAMES]),
        columns.labels(last, [f for f, _ in LAST_NAMES]),
    ], " ")
    firm_name = columns.labels(firm, [f for f, _ in COMPANIES])
    name = pc.if_else(pa.array(company), firm_name, person_name)
    domain = columns.labels(rng.integers(0, len(MAIL_DOMAINS), n), MAIL_DOMAINS)
    person_mail = columns.joined([
        columns.labels(first, [t for _, t in FIRST_NAMES]), ".",
        columns.labels(last, [t for _, t in LAST_NAMES]),
        columns.numbered("", rng.integers(1, 100, n)), "@", domain,
    ])
    firm_mail = columns.joined(["sales@", columns.labels(firm, [t for _, t in COMPANIES]), ".com.ua"])
    email = pc.if_else(pa.array(company), firm_mail, person_mail)
    email = pc.if_else(pa.array(rng.random(n) < 0.6), email, pa.nulls(n, pa.string()))
    created = lead.created_s[first_deal] - rng.integers(0, 120, n)
    return pa.table({
        "id": columns.ids(FIRST_CONTACT_ID + np.arange(n)),
        "name": name,
        "is_company": pa.array(company),
        "phone": phones,
        "email": email,
        "owner_id": columns.ids(roster.ids[lead.owner[first_deal]]),
        "created_at": columns.timestamps(calendar, np.maximum(created, 0)),
        "updated_at": columns.timestamps(calendar, last_update),
        "deleted": pa.array(np.zeros(n, dtype=bool)),
    })
