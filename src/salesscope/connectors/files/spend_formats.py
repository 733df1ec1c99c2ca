"""Which ad-spend file this is, told by its header, and which column holds each spend field.

Recognised exports (header names compare ignoring case and spacing; the first name found wins):

* **Meta (Facebook) Ads Manager** — a column ``Amount spent (USD)`` (the currency is in the header;
  a bare ``Amount spent`` takes it from a ``Currency`` column). Day: ``Day``, ``Date`` or
  ``Reporting starts`` (a row whose ``Reporting ends`` is another day covers a range: export
  with the breakdown by day). ``Campaign name``, ``Ad set name``, ``Ad name``, ``Impressions``,
  clicks from ``Link clicks``, else ``Clicks (all)``, else ``Clicks``.
* **Google Ads** — ``Impr.``, or ``Currency code`` beside ``Cost``. Day: ``Day`` or ``Date``;
  ``Campaign``, ``Ad group``, ``Ad`` / ``Ad name``, ``Currency code``, ``Cost``, ``Impr.`` /
  ``Impressions``, ``Clicks``. Title and date-range lines above the header (e.g. "Account Level -
  Daily Report", "1 November 2026 - 30 November 2026") and the ``Total: …`` rows at the bottom
  are skipped.
* **TikTok Ads** — ``Cost`` beside ``Campaign name`` or ``Ad group name``. Day: ``Date``,
  ``By Day``, ``Day`` or ``Stat time day``; ``Campaign name``, ``Ad group name``, ``Ad name``,
  ``Currency``, ``Impressions``, ``Clicks`` / ``Clicks (destination)``.
* **Generic** — a ``spend`` column; ``date``, ``source``, ``medium``, ``campaign``, ``ad``,
  ``currency``, ``clicks``, ``impressions`` by those names, or renamed by a mapping TOML.

Native rows get platform ``google_ads`` / ``meta_ads`` / ``tiktok_ads``, source ``google`` /
``facebook`` / ``tiktok`` and medium ``cpc`` unless ``--source`` / ``--medium`` say otherwise;
the ad is the ad name, or the ad group (ad set) when the export has no ad column or a blank one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from salesscope.connectors.files.ids import name_key

FIELDS = ("date", "source", "medium", "campaign", "ad", "spend", "currency", "clicks", "impressions")
PLATFORMS = ("file", "google_ads", "meta_ads", "tiktok_ads")
_META_SPEND = re.compile(r"^amount spent(?: \(([a-z]{3})\))?$")


@dataclass(frozen=True)
class SpendFormat:
    """One kind of export: its platform, default channel and the header names of each field."""

    name: str
    platform: str
    source: str | None
    medium: str | None
    columns: Mapping[str, tuple[str, ...]]  # field (or date_end, ad_group) -> accepted header names
    native: bool = True


GOOGLE_ADS = SpendFormat("Google Ads", "google_ads", "google", "cpc", {
    "date": ("Day", "Date"), "campaign": ("Campaign",), "ad_group": ("Ad group",),
    "ad": ("Ad", "Ad name"), "currency": ("Currency code", "Currency"), "spend": ("Cost",),
    "impressions": ("Impr.", "Impressions"), "clicks": ("Clicks",),
})
META_ADS = SpendFormat("Meta Ads Manager", "meta_ads", "facebook", "cpc", {
    "date": ("Day", "Date", "Reporting starts"), "date_end": ("Reporting ends",),
    "campaign": ("Campaign name",), "ad_group": ("Ad set name",), "ad": ("Ad name",),
    "currency": ("Currency",), "spend": ("Amount spent",), "impressions": ("Impressions",),
    "clicks": ("Link clicks", "Clicks (all)", "Clicks"),
})
TIKTOK_ADS = SpendFormat("TikTok Ads", "tiktok_ads", "tiktok", "cpc", {
    "date": ("Date", "By Day", "Day", "Stat time day"), "campaign": ("Campaign name",),
    "ad_group": ("Ad group name",), "ad": ("Ad name",), "currency": ("Currency",),
    "spend": ("Cost",), "impressions": ("Impressions",), "clicks": ("Clicks", "Clicks (destination)"),
})
GENERIC = SpendFormat("generic", "file", None, None, {f: (f,) for f in FIELDS}, native=False)
FORMATS = (META_ADS, GOOGLE_ADS, TIKTOK_ADS, GENERIC)


def recognise(header: Sequence[str]) -> SpendFormat | None:
    """The export whose tell-tale columns the header has (Meta, Google, TikTok, generic), or None."""
    keys = {name_key(h) for h in header if h}
    if any(_META_SPEND.match(k) for k in keys):
        return META_ADS
    if "impr." in keys or {"currency code", "cost"} <= keys:
        return GOOGLE_ADS
    if "cost" in keys and keys & {"campaign name", "ad group name"}:
        return TIKTOK_ADS
    if "spend" in keys:
        return GENERIC
    return None


@dataclass(frozen=True)
class Layout:
    """Where each field of a recognised file is: field → (column index, header name)."""

    format: SpendFormat
    columns: dict[str, tuple[int, str]]
    header_currency: str | None = None  # Meta's "Amount spent (EUR)"


def layout(fmt: SpendFormat, header: Sequence[str],
           renamed: Mapping[str, tuple[int, str]] | None = None) -> Layout:
    """Find each field's column; ``renamed`` holds the fields a mapping's ``[columns]`` placed.

    A field not renamed is looked for under the format's own names, so a mapping need only name
    the columns whose names differ.
    """
    keys = [name_key(h) for h in header]
    found: dict[str, tuple[int, str]] = dict(renamed or {})
    header_currency = None
    for field, names in fmt.columns.items():
        if field in found:
            continue
        for name in names:
            if name_key(name) in keys:
                index = keys.index(name_key(name))
                found[field] = (index, header[index])
                break
    if fmt is META_ADS and "spend" not in (renamed or {}):
        for index, key in enumerate(keys):
            match = _META_SPEND.match(key)
            if match:
                found["spend"] = (index, header[index])
                header_currency = match[1].upper() if match[1] else None
                break
    return Layout(fmt, found, header_currency)
