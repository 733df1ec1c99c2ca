"""The spend mapping TOML: which column holds each spend field, and what the file leaves out.

For a generic file whose columns are named otherwise, or that lacks a channel or currency::

    [columns]                   # spend field = column in the file
    spend = "Spent"
    campaign = "xyz_campaign_id"
    ad = "ad_id"

    [options]
    platform = "meta_ads"       # file (default), google_ads, meta_ads or tiktok_ads
    source = "facebook"         # for rows without a source column (or with a blank one)
    medium = "cpc"
    currency = "USD"            # else the file's currency column, else the account currency
    decimal_comma = true        # 1 234,50
    date_formats = ["%d/%m/%Y"] # strptime, tried before YYYY-MM-DD and DD.MM.YYYY

A field ``[columns]`` does not name is read from the column of its own name when there is one
(``clicks`` from "Clicks"). ``encoding``, ``delimiter`` and ``sheet`` are read options as for
deals. Every key is checked before the file is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from salesscope.connectors.files.errors import MappingError
from salesscope.connectors.files.mapping import (
    check_keys,
    load_toml,
    mapped_columns,
    read_options_of,
    toml_section,
    typed_option,
)
from salesscope.connectors.files.reading import ReadOptions
from salesscope.connectors.files.spend_formats import FIELDS, PLATFORMS

_OPTIONS = ("encoding", "delimiter", "sheet", "platform", "source", "medium", "currency",
            "decimal_comma", "date_format", "date_formats")


@dataclass(frozen=True)
class SpendOptions:
    """What applies to every row: the file's platform and channel, number and date forms."""

    platform: str = "file"
    source: str | None = None
    medium: str | None = None
    currency: str | None = None
    decimal_comma: bool = False
    date_formats: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpendMapping:
    path: Path | None
    columns: dict[str, str] = field(default_factory=dict)
    options: SpendOptions = field(default_factory=SpendOptions)
    read: ReadOptions = field(default_factory=ReadOptions)


def load_spend_mapping(path: Path) -> SpendMapping:
    """Read and check a spend mapping."""
    doc = load_toml(path)
    check_keys(path, "mapping", doc, ("columns", "options"))
    columns = mapped_columns(path, doc, FIELDS, ("spend",))
    options = toml_section(path, doc, "options")
    check_keys(path, "options", options, _OPTIONS)
    return SpendMapping(path, columns, _spend_options(path, options), read_options_of(path, options))


def _spend_options(path: Path, options: dict[str, object]) -> SpendOptions:
    platform = typed_option(path, options, "platform", str, "file")
    if platform not in PLATFORMS:
        raise MappingError(path, "[options] platform", f"unknown platform {platform!r}", PLATFORMS)
    currency = typed_option(path, options, "currency", str, None)
    if currency is not None and not (len(currency) == 3 and currency.isalpha()):
        raise MappingError(path, "[options] currency", f"not a currency code {currency!r}")
    formats = options.get("date_formats", [])
    if "date_format" in options:
        formats = [options["date_format"], *formats] if isinstance(formats, list) else formats
    if not isinstance(formats, list) or not all(isinstance(f, str) and f for f in formats):
        raise MappingError(path, "[options] date_formats", "must be a list of strptime formats")
    texts = {key: typed_option(path, options, key, str, None) for key in ("source", "medium")}
    for key, value in texts.items():
        if value is not None and not value.strip():
            raise MappingError(path, f"[options] {key}", "must not be blank")
    return SpendOptions(
        platform,
        texts["source"].strip() if texts["source"] else None,
        texts["medium"].strip() if texts["medium"] else None,
        currency.upper() if currency else None,
        typed_option(path, options, "decimal_comma", bool, False),
        tuple(formats),
    )
