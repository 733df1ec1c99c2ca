"""The channels page on the demo: a channel's name opens its campaigns, a campaign's its ads,
and spend (money paid to a platform) is the one number that opens no deal list."""

from __future__ import annotations

import re

from web.web_support import WebApp


def links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


def test_a_channel_opens_its_campaigns_and_a_campaign_its_ads(web: WebApp) -> None:
    client = web.clients["root"]
    page = client.get("/reports/channels?period=2026-05")
    assert page.status_code == 200
    campaigns = "/reports/channels?period=2026-05&by=utm_campaign&channel=google"
    assert campaigns in links(page.text)

    page = client.get(campaigns)
    assert page.status_code == 200
    ads = [h for h in links(page.text) if h.startswith("/reports/channels?") and "by=utm_content" in h]
    assert ads, "each campaign row opens its ads"
    assert client.get(ads[0]).status_code == 200
