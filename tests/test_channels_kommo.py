"""Issue 6's "done when" for Kommo: a fake Kommo account whose leads carry UTM custom fields, synced
over real HTTP, plus a spend file imported with `import spend`; every channel's leads, revenue, CPL
and ROI equal a computation straight from the fake's own lead records (no report code involved)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kommo.conftest import client_for
from kommo.fake_account import KommoAccount, build_account
from kommo.fake_server import FakeKommo
from salesscope.connectors.files.spend import import_spend
from salesscope.connectors.kommo.sync import sync
from salesscope.reports import registry
from salesscope.reports.filters import Filters
from salesscope.reports.period import Period
from salesscope.warehouse.store import Warehouse

KYIV = ZoneInfo("Europe/Kyiv")
MAY = Period.parse("2026-05")
WON_STATUS = 142  # Kommo's "successfully realised" in every pipeline
# Spend per utm_source over May (split over two days), and one day in April that must not count.
SPEND = {"google": Decimal("41000.50"), "facebook": Decimal("23000"), "instagram": Decimal("9000"),
         "tiktok": Decimal("3000")}


@pytest.fixture(scope="module")
def account() -> KommoAccount:
    """The demo-built account, with some May leads stripped of every source (3), given a blank
    utm_source and no source (2) or a literal utm_source "unknown" (2): the demo has none such."""
    built = build_account(every=40).copy()
    may = sorted(i for i, lead in built.leads.items()
                 if dt.datetime.fromtimestamp(lead["created_at"], KYIV).strftime("%Y-%m") == "2026-05")
    for n, lead_id in enumerate(may[:7]):
        lead = built.leads[lead_id]
        fields = [f for f in lead["custom_fields_values"] if f.get("field_code") != "UTM_SOURCE"]
        if n >= 3:
            value = "  " if n < 5 else "unknown"
            fields.append({"field_id": 800001, "field_name": "utm_source", "field_code": "UTM_SOURCE",
                           "field_type": "tracking_data", "values": [{"value": value}]})
        embedded = {**lead["_embedded"], "source": None if n < 5 else lead["_embedded"]["source"]}
        built.leads[lead_id] = {**lead, "custom_fields_values": fields, "_embedded": embedded}
    return built


@pytest.fixture(scope="module")
def wh(account: KommoAccount, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    fake = FakeKommo(account.copy()).start()
    try:
        opened = Warehouse.open(tmp_path_factory.mktemp("kommo") / "w.duckdb")
        with client_for(fake) as client:
            sync(opened, client)
    finally:
        fake.stop()
    # The spend arrives as a user would bring it: a generic spend file through `import spend`.
    spend_file = tmp_path_factory.mktemp("spend") / "spend.csv"
    lines = ["date,source,medium,campaign,spend,currency"]
    lines += [f"{day},{source},cpc,may,{amount / 2},UAH" for source, amount in SPEND.items()
              for day in ("2026-05-01", "2026-05-31")]
    lines.append("2026-04-30,google,cpc,april,100000,UAH")
    spend_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_spend(opened, spend_file)
    yield opened
    opened.close()


def channel_of_lead(lead: dict[str, Any]) -> str:
    """utm_source from the lead's UTM_SOURCE field, else its Kommo source, else (none)."""
    for field in lead.get("custom_fields_values") or []:
        if str(field.get("field_code") or "").upper() == "UTM_SOURCE":
            value = str(field["values"][0]["value"]).strip()
            if value:
                return value
    source = (lead.get("_embedded") or {}).get("source") or {}
    return str(source.get("name") or "").strip() or "(none)"


def by_hand(account: KommoAccount) -> dict[str, tuple[int, Decimal, float | None, float | None]]:
    """channel → (leads created in May in Kyiv, revenue of those won by now, CPL, ROI)."""
    leads: Counter[str] = Counter()
    revenue: Counter[str] = Counter()
    for lead in account.leads.values():
        created = dt.datetime.fromtimestamp(lead["created_at"], KYIV).date()
        if not MAY.start <= created < MAY.end:
            continue
        channel = channel_of_lead(lead)
        leads[channel] += 1
        if lead["status_id"] == WON_STATUS:
            revenue[channel] += lead["price"]
    out = {}
    for channel in set(leads) | set(SPEND):
        spend = SPEND.get(channel, Decimal(0))
        n, money = leads[channel], Decimal(revenue[channel])
        cpl = float(round(spend / n, 2)) if n else None
        roi = float((money - spend) / spend) if spend else None
        out[channel] = (n, money, cpl, roi)
    return out


def test_every_channel_s_leads_revenue_cpl_and_roi(wh: Warehouse, account: KommoAccount) -> None:
    want = by_hand(account)
    assert {"google", "facebook", "instagram", "(none)", "unknown"} <= set(want)
    assert want["(none)"][0] == 5 and want["unknown"][0] == 2
    assert sum(n for n, *_ in want.values()) > 25  # one demo deal in 40
    rows = registry.run(wh, "channels", Filters(period=MAY)).rows
    got = {r["channel"]: (r["leads"], Decimal(str(r["revenue"])), r["cpl"], r["roi"])
           for r in rows if r["row_kind"] == "channel"}
    assert set(got) == set(want)
    for channel, (leads, revenue, cpl, roi) in want.items():
        g_leads, g_revenue, g_cpl, g_roi = got[channel]
        assert (g_leads, g_revenue, g_cpl) == (leads, revenue, cpl), channel
        assert g_roi == (pytest.approx(roi) if roi is not None else None), channel
    total = rows[-1]
    assert total["spend"] == float(sum(SPEND.values()))
    assert total["leads"] == sum(n for n, *_ in want.values())
