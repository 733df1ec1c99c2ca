"""The dashboard in a real browser: headless Debian chromium driven by Playwright.

Log in, change a filter, click a funnel stage through to its deal list, switch language, read a
definition on hover; screenshots go to ``artifacts/web/`` (kept by CI as test artifacts). The
browser is the system's ``/usr/bin/chromium`` (never a Playwright download); without it the tests
skip with the reason — except under CI, where they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.web_support import ARTIFACTS, PASSWORD, Server

CHROMIUM = Path(os.environ.get("SALESSCOPE_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing under CI: .ci/run must install chromium")
        pytest.skip(f"browser tests skipped: no {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, locale="en-US", viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    try:
        yield opened
    finally:
        context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Any, name: str) -> None:
    page.goto("/reports/funnel")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/reports/funnel$"))


def test_log_in_filter_drill_down_and_switch_language(page: Any) -> None:
    page.goto("/")
    shot(page, "login")
    log_in(page, "boss")

    # change filters: the seed month, the Sales pipeline, Serhiy
    page.fill("input[name=period]", "2026-05")
    page.select_option("select[name=pipeline]", "Sales")
    page.select_option("select[name=manager]", "Serhiy Melnyk")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"period=2026-05.*pipeline=Sales.*manager=Serhiy"))
    page.wait_for_selector(".plot.drawn .funnellayer")
    assert page.locator("table.report tbody tr").count() == 7
    shot(page, "funnel")

    # the definition of a column on hover
    page.hover("th .def >> text=Reached")
    tip = page.locator(".tip.on")
    assert "ever in this stage" in tip.inner_text()

    # click the proposal stage's Reached number through to its deals
    row = page.locator("table.report tbody tr", has_text="Commercial proposal sent")
    row.locator("td.num a").first.click()
    page.wait_for_url(re.compile(r"/deals\?.*stage=10014.*reached=1"))
    assert page.locator("h1 .count").inner_text().strip() == "90"
    assert page.locator("table.report tbody tr").count() == 90
    shot(page, "deals")

    # switch to Ukrainian and back: the choice sticks across pages
    page.click("form.lang button[data-locale=uk]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "uk"
    assert "Угоди" in page.locator("h1").inner_text()
    page.goto("/reports/funnel?period=2026-05&pipeline=Sales&by=manager")
    assert "Аналіз продажів" in page.locator("h1").inner_text()
    page.wait_for_selector(".plot.drawn .barlayer .point")
    shot(page, "funnel-by-manager-uk")
    page.click("form.lang button[data-locale=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_clicking_a_stage_in_the_chart_opens_its_deals(page: Any) -> None:
    log_in(page, "boss")
    page.goto("/reports/funnel?period=2026-05&pipeline=Sales&manager=Serhiy")
    page.wait_for_selector(".plot.drawn .funnellayer")
    bars = page.locator(".plot.drawn .funnellayer .point path")
    assert bars.count() == 7
    bars.nth(3).click(force=True)  # Commercial proposal sent
    page.wait_for_url(re.compile(r"/deals\?.*stage=10014.*reached=1"))
    assert page.locator("h1 .count").inner_text().strip() == "90"


def test_overview_and_a_managers_own_view(page: Any) -> None:
    log_in(page, "serhiy")
    page.goto("/")
    assert page.locator(".tile").count() == 5
    assert "Serhiy Melnyk" in page.locator(".scope-note").inner_text()
    shot(page, "overview-manager")
    forbidden = page.goto("/reports/funnel?manager=Olena")
    assert forbidden is not None and forbidden.status == 403


def test_channels_spend_against_revenue_and_down_to_campaigns(page: Any) -> None:
    log_in(page, "boss")
    page.goto("/reports/channels?period=2026-05")
    page.wait_for_selector(".plot.drawn .barlayer .point")
    legend = page.locator(".plot.drawn .legendtext").all_text_contents()
    assert legend == ["Spend", "Revenue"]
    shot(page, "channels")

    page.locator("table.report tbody tr", has_text="facebook").locator("td a").first.click()
    page.wait_for_url(re.compile(r"by=utm_campaign.*channel=facebook"))
    campaigns = page.locator("table.report tbody tr")
    assert campaigns.count() == 4  # three campaigns and the total
    assert "lead_form" in campaigns.all_inner_texts()[1]
    shot(page, "channels-facebook-campaigns")
