"""Ukrainian and English: message catalogs for the page text, Babel for numbers, money and dates.

Catalogs are JSON files in ``i18n/`` keyed by the English text, so a missing translation shows
the English original instead of a key. Report titles and column labels and definitions are looked
up too (and, on the metrics report, each metric's label and definition); a report added later reads
in English until its texts are added to ``uk.json`` (``tests/web/test_web_i18n_coverage.py`` says
which). A text a report builds with a value in it (``Open deals above the limit of 60.``) is found
through its key with a placeholder (``Open deals above the limit of {limit}.``): the value, one
word such as a number, is carried over into the translation.
"""

from __future__ import annotations

import json
import re
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


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def patterns(locale: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The catalog's keys with ``{name}`` placeholders, as patterns matching a filled-in text."""
    compiled = []
    for key, message in catalog(locale).items():
        if not _PLACEHOLDER.search(key):
            continue
        parts = _PLACEHOLDER.split(key)  # text, name, text, name, ..., text
        # A value is one word (a number, a date): a key like "{deals} open deals" must not
        # pass for the translation of any longer text that happens to end the same way.
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>\\S+)"
                        for i, part in enumerate(parts))
        try:
            compiled.append((re.compile(regex + r"\Z", re.DOTALL), message))
        except re.error:  # a placeholder named twice: looked up only as an exact key
            continue
    return tuple(compiled)


def lookup(locale: str, text: str) -> str | None:
    """The translation of ``text``: its own key, else a placeholder key it fills in; else None."""
    messages = catalog(locale)
    if text in messages:
        return messages[text]
    for pattern, message in patterns(locale):
        found = pattern.match(text)
        if found:
            try:
                return message.format(**found.groupdict())
            except (KeyError, IndexError, ValueError):  # a translation naming other placeholders
                continue
    return None


class Translator:
    """``t("Data as of {when}", when=...)``: the text in the locale, placeholders filled."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE
        self._messages = catalog(self.locale)

    def __call__(self, text: str, **values: object) -> str:
        if values:
            return self._messages.get(text, text).format(**values)
        # A text with a value already in it (a report's definition) goes through the patterns.
        return lookup(self.locale, text) or text


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
