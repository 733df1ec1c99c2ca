"""Every text a report shows in a page has its Ukrainian translation in ``web/i18n/uk.json``.

The column labels and definitions (the definition is what a header shows on hover) of every
registered report, in every grouping and with every option that changes the layout, the metric
catalogue's labels and definitions (the metrics report's rows), and the reports' titles and
summaries. The reports are run on the demo account, so a column a report adds under some grouping
or option is checked too; a definition built with a value in it (the summary's overload limit) is
checked through its placeholder key. A failure lists what is missing, report by report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.reports.metrics import CATALOGUE
from salesscope.reports.result import ReportResult
from salesscope.reports.spec import ReportSpec
from salesscope.web.i18n import Translator, catalog, lookup
from salesscope.web.tables import HIDDEN
from web.web_support import WebApp

SEED = "period=2026-05"


def _variant_value(option: Any) -> Any:
    """A value other than the default for an option that may change the columns; None to skip."""
    if option.type is bool:
        return not option.default
    if option.type is int:
        return option.default + 7
    if option.type is float:
        return option.default + 1.5
    return None  # text options filter rows (kinds, deal ids); they add no column


def variants(spec: ReportSpec) -> Iterator[tuple[str, Filters]]:
    """The report as asked with no grouping, with each grouping, and with each option changed."""
    yield "(default)", Filters()
    for grouping in spec.groupings:
        yield f"--by {grouping}", Filters(by=grouping)
    for option in spec.options:
        value = _variant_value(option)
        if value is not None:
            yield f"{option.flag} {value}", Filters().with_options(**{option.name: value})


def results(web: WebApp) -> Iterator[tuple[str, ReportResult]]:
    for spec in registry.REPORTS:
        for name, filters in variants(spec):
            yield f"{spec.name} {name}", spec.run(web.warehouse, filters)


def untranslated(texts: dict[str, str]) -> list[str]:
    """``where: text`` for every text without a Ukrainian translation."""
    return [f"{where}: {text!r}" for text, where in texts.items() if text and lookup("uk", text) is None]


def test_every_column_label_and_definition_has_a_ukrainian_translation(web: WebApp) -> None:
    texts: dict[str, str] = {}
    checked = set()
    for where, result in results(web):
        checked.add(where.split()[0])
        for column in result.columns:
            texts.setdefault(column.label, f"{where}, label of {column.name}")
            definition = result.definitions.get(column.name, column.description)
            texts.setdefault(definition, f"{where}, definition of {column.name}")
    assert checked == {spec.name for spec in registry.REPORTS}
    missing = untranslated(texts)
    assert not missing, "no Ukrainian in web/i18n/uk.json for:\n" + "\n".join(missing)


def test_every_metric_of_the_catalogue_has_a_ukrainian_label_and_definition() -> None:
    texts: dict[str, str] = {}
    for metric in CATALOGUE:
        texts.setdefault(metric.label, f"metric {metric.name}, label")
        texts.setdefault(metric.definition, f"metric {metric.name}, definition")
    missing = untranslated(texts)
    assert not missing, "no Ukrainian in web/i18n/uk.json for:\n" + "\n".join(missing)


def test_every_report_title_and_summary_has_a_ukrainian_translation(web: WebApp) -> None:
    texts: dict[str, str] = {}
    for spec in registry.REPORTS:
        texts.setdefault(spec.title, f"{spec.name}, title")
        texts.setdefault(spec.summary, f"{spec.name}, summary")
    for where, result in results(web):
        texts.setdefault(result.title, f"{where}, title")
    missing = untranslated(texts)
    assert not missing, "no Ukrainian in web/i18n/uk.json for:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_their_keys() -> None:
    placeholder = re.compile(r"\{(\w*)\}")
    wrong = [key for key, message in catalog("uk").items()
             if sorted(placeholder.findall(key)) != sorted(placeholder.findall(message))]
    assert not wrong, wrong


def test_a_definition_with_a_value_in_it_is_translated_with_the_value() -> None:
    t = Translator("uk")
    assert t("Open deals above the limit of 42.") == "Відкритих угод більше за ліміт 42."
    assert t("Open deals now / the overload limit (7).") == "Відкриті угоди зараз / ліміт навантаження (7)."
    assert t("Something no catalog has (7).") == "Something no catalog has (7)."
    assert Translator("en")("Open deals above the limit of 42.") == "Open deals above the limit of 42."


@pytest.mark.parametrize("name", [spec.name for spec in registry.REPORTS])
def test_report_headers_read_in_ukrainian(web: WebApp, name: str) -> None:
    page = web.clients["boss"].get(f"/reports/{name}?{SEED}")
    assert page.status_code == 200
    assert '<html lang="uk">' in page.text
    spec = registry.get(name)
    result = spec.run(web.warehouse, Filters())
    t = Translator("uk")
    for column in result.columns:
        definition = result.definitions.get(column.name, column.description)
        if column.name in HIDDEN or column.name.endswith("_id"):
            continue  # bookkeeping columns (drill queries, row kinds) stay out of the table
        assert f'data-definition="{_escaped(t(definition))}"' in page.text, (name, column.name)


def test_metric_names_and_definitions_read_in_ukrainian(web: WebApp) -> None:
    page = web.clients["boss"].get(f"/reports/metrics?{SEED}")
    assert page.status_code == 200
    for metric in CATALOGUE:
        if metric.name == "time_in_stage_median_d":
            continue  # one row per stage with stays ended; present only when there are some
        assert f">{_escaped(Translator('uk')(metric.label))}<" in page.text, metric.name
    assert "Ліди за каналами" in page.text and "Конверсія в КП" in page.text
    assert "Угоди когорти, які зараз виграні / угоди когорти" in page.text


def test_an_english_page_stays_in_english(web: WebApp) -> None:
    page = web.clients["boss"].get(f"/reports/summary?{SEED}", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert 'data-definition="Open deals now / the overload limit (' in page.text
    metrics = web.clients["boss"].get(f"/reports/metrics?{SEED}", headers={"accept-language": "en"})
    assert ">Leads per channel<" in metrics.text


def test_every_unit_has_a_ukrainian_translation(web: WebApp) -> None:
    """Column units of every report variant, the catalogue's metric units and the short units a
    metric's value is written with; currency codes (ISO) are not translated."""
    from salesscope.reports.metrics import CURRENCY
    from salesscope.web.cells import SHORT_UNITS

    currency = re.compile(r"^[A-Z]{3}$")
    texts: dict[str, str] = {}
    for where, result in results(web):
        for column in result.columns:
            if column.unit and not currency.match(column.unit):
                texts.setdefault(column.unit, f"{where}, unit of {column.name}")
    for metric in CATALOGUE:
        if metric.unit not in (None, CURRENCY):
            texts.setdefault(str(metric.unit), f"metric {metric.name}, unit")
    for unit, short in SHORT_UNITS.items():
        texts.setdefault(short, f"short form of {unit}")
    assert {"s", "days", "working hours", "h", "d"} <= set(texts)
    missing = untranslated(texts)
    assert not missing, "no Ukrainian in web/i18n/uk.json for:\n" + "\n".join(missing)


def test_units_and_metric_values_read_in_ukrainian(web: WebApp) -> None:
    """The metrics page writes each value with Babel and a Ukrainian unit, not the report's English
    "Shown as" text (``2.3 h``, ``9 788.89 UAH``); the calls headers say seconds in Ukrainian."""
    page = web.clients["boss"].get(f"/reports/metrics?{SEED}").text
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert "робочі години" in cells and "дні" in cells
    assert any(re.fullmatch(r"\d+,\d год", c) for c in cells)
    assert any(re.fullmatch(r"\d+,\d дн\.", c) for c in cells)
    assert any(re.fullmatch(r"\d+,\d%", c) for c in cells)
    english = [c for c in cells if re.fullmatch(r"[\d.  ]+ ?(h|d|UAH|%)|working hours|days|deals", c)]
    assert not english, english
    calls = web.clients["boss"].get(f"/reports/calls?{SEED}").text
    assert "<small>, с</small>" in calls and "<small>, s</small>" not in calls


def _escaped(text: str) -> str:
    """Text as Jinja's autoescape writes it into an attribute or an element."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))
