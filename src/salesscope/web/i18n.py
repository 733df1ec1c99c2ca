"""Ukrainian and English: message catalogs for the page text, Babel for numbers, money and dates.

Catalogs are JSON files in ``i18n/`` keyed by the English text, so a missing translation shows
the English original instead of a key. Report titles and column labels are looked up too; a
report added later reads in English until its labels are added to ``uk.json``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES = ("uk", "en")
DEFAULT_LOCALE = "uk"
LOCALE_NAMES = {"uk": "Українська", "en": "English"}
_FOLDER = Path(__file__).parent / "i18n"


@cache
def catalog(locale: str) -> dict[str, str]:
    path = _FOLDER / f"{locale}.json"
    if not path.exists():
        return {}
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


class Translator:
    """``t("Data as of {when}", when=...)``: the text in the locale, placeholders filled."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE
        self._messages = catalog(self.locale)

    def __call__(self, text: str, **values: object) -> str:
        message = self._messages.get(text, text)
        return message.format(**values) if values else message


def negotiate(accept_language: str | None) -> str:
    """The first of our locales the browser asks for (``Accept-Language``), else the default."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        base = tag.split("-")[0]
        if base in LOCALES:
            return base
        if base == "ru":  # Russian-speaking Ukrainian users read Ukrainian more easily than English
            return "uk"
    return DEFAULT_LOCALE
