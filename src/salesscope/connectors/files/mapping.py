"""The mapping TOML: which column of the file holds which canonical field, and what stages mean.

A deals mapping::

    [columns]                  # canonical field = column in the file
    deal_id = "ID"
    stage = "Status"
    created_at = "Created"

    [stages]                   # value in the stage column = what it is
    "New" = { kind = "open", order = 1 }
    "Paid" = { kind = "won", order = 9, name = "Won" }   # name: the stage's name in reports

    [options]
    timezone = "Europe/Kyiv"   # of times without an offset; also the new account's timezone

``[pipeline_stages."Repeat sales"]`` gives one pipeline its own stages; ``[stage_entered]``
(stage value = column holding when the deal entered it) imports stage history. Every key is
checked here, before the file is read: an unknown field or option names itself and the valid ones.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salesscope.connectors.files.errors import MappingError
from salesscope.connectors.files.ids import name_key
from salesscope.connectors.files.reading import ReadOptions

DEAL_FIELDS = (
    "deal_id", "name", "owner", "pipeline", "stage", "amount", "currency", "created_at",
    "closed_at", "loss_reason", "source", "utm_source", "utm_medium", "utm_campaign",
    "utm_content", "tags", "contact",
)
DEAL_REQUIRED = ("deal_id", "stage", "created_at")
USER_FIELDS = ("user", "team", "role", "email")
USER_REQUIRED = ("user",)
KINDS = ("open", "won", "lost")
DEFAULT_PIPELINE = "Sales"

_READ_OPTIONS = ("encoding", "delimiter", "sheet")
_DEAL_OPTIONS = (*_READ_OPTIONS, "date_format", "date_formats", "decimal_comma", "default_pipeline",
                 "default_currency", "timezone", "tag_separator", "default_created_at",
                 "contacts_are_companies")
_DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


@dataclass(frozen=True)
class StageRule:
    """What one value of the stage column means: the stage's name, kind and place in the funnel."""

    value: str
    name: str
    kind: str
    order: int


@dataclass(frozen=True)
class StageSet:
    """The stages of a pipeline, found by the value the file writes (any case)."""

    rules: dict[str, StageRule]

    def find(self, value: str) -> StageRule | None:
        return self.rules.get(name_key(value))

    def values(self) -> list[str]:
        return [r.value for r in self.rules.values()]

    @cached_property
    def stages(self) -> list[StageRule]:
        """One rule per distinct stage name (several values may name one stage), in order."""
        seen: dict[str, StageRule] = {}
        for rule in self.rules.values():
            seen.setdefault(name_key(rule.name), rule)
        return sorted(seen.values(), key=lambda r: (r.order, name_key(r.name)))

    @cached_property
    def first_open(self) -> StageRule:
        """The stage every deal starts in: the open stage with the lowest order."""
        return next(r for r in self.stages if r.kind == "open")


@dataclass(frozen=True)
class DealOptions:
    """``[options]`` of a deals mapping, typed."""

    date_formats: tuple[str, ...] = ()
    decimal_comma: bool = False
    default_pipeline: str = DEFAULT_PIPELINE
    default_currency: str | None = None
    timezone: str | None = None
    tag_separator: str = ","
    default_created_at: str | None = None
    contacts_are_companies: bool = False


@dataclass(frozen=True)
class DealMapping:
    path: Path
    columns: dict[str, str]
    stages: StageSet | None
    pipeline_stages: dict[str, StageSet]  # by name_key(pipeline name)
    stage_entered: dict[str, str]  # name_key(stage value) -> column
    options: DealOptions = field(default_factory=DealOptions)
    read: ReadOptions = field(default_factory=ReadOptions)

    def stage_set(self, pipeline: str) -> StageSet | None:
        return self.pipeline_stages.get(name_key(pipeline), self.stages)


@dataclass(frozen=True)
class UserMapping:
    path: Path
    columns: dict[str, str]
    read: ReadOptions = field(default_factory=ReadOptions)


def load_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of a mapping file; a missing or malformed file is a MappingError naming it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise MappingError(path, "", "no such mapping file") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(path, "", f"not valid TOML ({exc})") from None


def toml_section(path: Path, doc: dict[str, Any], name: str) -> dict[str, Any]:
    """One ``[name]`` table of a mapping (empty when absent), so callers never meet a non-table."""
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise MappingError(path, f"[{name}]", "must be a table")
    return value


def mapped_columns(path: Path, doc: dict[str, Any], fields: tuple[str, ...],
             required: tuple[str, ...]) -> dict[str, str]:
    """The ``[columns]`` table checked against the fields an importer knows and needs."""
    columns = toml_section(path, doc, "columns")
    for key, value in columns.items():
        if key not in fields:
            raise MappingError(path, f"[columns] {key}", "unknown field", fields)
        if not isinstance(value, str) or not value.strip():
            raise MappingError(path, f"[columns] {key}", "must be the name of a column in the file")
    missing = [f for f in required if f not in columns]
    if missing:
        raise MappingError(path, "[columns]", f"required field(s) {', '.join(missing)} not mapped")
    return {k: v.strip() for k, v in columns.items()}


def typed_option(path: Path, options: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """One ``[options]`` value of the expected type, so a typo fails before the file is read."""
    value = options.get(key, default)
    if value is not default and not isinstance(value, kind):
        raise MappingError(path, f"[options] {key}", f"must be {kind.__name__}, not {value!r}")
    return value


def read_options_of(path: Path, options: dict[str, Any]) -> ReadOptions:
    """How to read the file (encoding, delimiter, sheet) as the mapping's options say."""
    delimiter = typed_option(path, options, "delimiter", str, None)
    if delimiter is not None and delimiter not in _DELIMITERS:
        raise MappingError(path, "[options] delimiter", f"unsupported {delimiter!r}", list(_DELIMITERS))
    return ReadOptions(typed_option(path, options, "encoding", str, None),
                       _DELIMITERS[delimiter] if delimiter else None,
                       typed_option(path, options, "sheet", str, None))


def check_keys(path: Path, section: str, table: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Reject unknown keys in a section, listing the allowed ones."""
    for key in table:
        if key not in allowed:
            raise MappingError(path, f"[{section}] {key}", "unknown option", allowed)


def _stage_set(path: Path, section: str, table: dict[str, Any]) -> StageSet:
    rules: dict[str, StageRule] = {}
    for value, spec in table.items():
        where = f"[{section}] {value!r}"
        if not isinstance(spec, dict):
            raise MappingError(path, where, 'must be { kind = "open"|"won"|"lost", order = N }')
        unknown = sorted(set(spec) - {"kind", "order", "name"})
        if unknown:
            raise MappingError(path, where, f"unknown key {unknown[0]!r}", ["kind", "order", "name"])
        kind, order, name = spec.get("kind"), spec.get("order"), spec.get("name", value)
        if kind not in KINDS:
            raise MappingError(path, f"{where} kind", f"unknown kind {kind!r}", KINDS)
        if not isinstance(order, int) or isinstance(order, bool):
            raise MappingError(path, f"{where} order", f"must be a whole number, not {order!r}")
        if not isinstance(name, str) or not name.strip():
            raise MappingError(path, f"{where} name", "must be a stage name")
        if name_key(value) in rules:
            raise MappingError(path, where, "stage value listed twice (values ignore case)")
        rules[name_key(value)] = StageRule(value, name.strip(), kind, order)
    _check_stage_set(path, section, rules)
    return StageSet(rules)


def _check_stage_set(path: Path, section: str, rules: dict[str, StageRule]) -> None:
    """One order per stage, open before won and lost, one won and one lost stage at most."""
    by_name: dict[str, StageRule] = {}
    for rule in rules.values():
        seen = by_name.setdefault(name_key(rule.name), rule)
        if (seen.kind, seen.order) != (rule.kind, rule.order):
            raise MappingError(path, f"[{section}] {rule.value!r}",
                               f"names stage {rule.name!r} with another kind or order than "
                               f"{seen.value!r}")
    stages = list(by_name.values())
    opens = [r for r in stages if r.kind == "open"]
    closed = [r for r in stages if r.kind != "open"]
    if not opens:
        raise MappingError(path, f"[{section}]", "needs at least one open stage (where deals start)")
    orders = [r.order for r in opens]
    if len(set(orders)) != len(orders):
        raise MappingError(path, f"[{section}]", "two open stages share an order")
    for kind in ("won", "lost"):
        names = [r.name for r in closed if r.kind == kind]
        if len(names) > 1:
            raise MappingError(path, f"[{section}]",
                               f"more than one {kind} stage ({', '.join(names)}); give their "
                               f'values one name, e.g. name = "{names[0]}"')
    if closed and max(orders) >= min(r.order for r in closed):
        raise MappingError(path, f"[{section}]", "open stages must come before won and lost (order)")


def load_deal_mapping(path: Path) -> DealMapping:
    """Read and check a deals mapping."""
    doc = load_toml(path)
    check_keys(path, "mapping", doc, ("columns", "stages", "pipeline_stages", "stage_entered",
                                       "options"))
    columns = mapped_columns(path, doc, DEAL_FIELDS, DEAL_REQUIRED)
    raw_stages = toml_section(path, doc, "stages")
    stages = _stage_set(path, "stages", raw_stages) if raw_stages else None
    pipeline_stages: dict[str, StageSet] = {}
    for pipeline, table in toml_section(path, doc, "pipeline_stages").items():
        if not isinstance(table, dict):
            raise MappingError(path, f"[pipeline_stages] {pipeline!r}", "must be a table of stages")
        pipeline_stages[name_key(pipeline)] = _stage_set(path, f"pipeline_stages.{pipeline!r}", table)
    if stages is None and not pipeline_stages:
        raise MappingError(path, "[stages]", "missing: say what each value of the stage column means")
    options = toml_section(path, doc, "options")
    check_keys(path, "options", options, _DEAL_OPTIONS)
    return DealMapping(
        path, columns, stages, pipeline_stages,
        _stage_entered(path, doc, [s for s in (stages, *pipeline_stages.values()) if s]),
        _deal_options(path, options), read_options_of(path, options),
    )


def _stage_entered(path: Path, doc: dict[str, Any], sets: list[StageSet]) -> dict[str, str]:
    entered: dict[str, str] = {}
    known = sorted({v for s in sets for v in s.values()})
    for value, column in toml_section(path, doc, "stage_entered").items():
        if not any(s.find(value) for s in sets):
            raise MappingError(path, f"[stage_entered] {value!r}", "not a stage value of [stages]", known)
        if not isinstance(column, str) or not column.strip():
            raise MappingError(path, f"[stage_entered] {value!r}", "must be the name of a column")
        entered[name_key(value)] = column.strip()
    return entered


def _deal_options(path: Path, options: dict[str, Any]) -> DealOptions:
    formats = options.get("date_formats", [])
    if "date_format" in options:
        formats = [options["date_format"], *formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) and f for f in formats):
        raise MappingError(path, "[options] date_formats", "must be a list of strptime formats")
    zone = typed_option(path, options, "timezone", str, None)
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(path, "[options] timezone", f"unknown timezone {zone!r}",
                               ["an IANA name such as Europe/Kyiv"]) from None
    currency = typed_option(path, options, "default_currency", str, None)
    if currency is not None and not (len(currency) == 3 and currency.isalpha()):
        raise MappingError(path, "[options] default_currency", f"not a currency code {currency!r}")
    separator = typed_option(path, options, "tag_separator", str, ",")
    if not separator:
        raise MappingError(path, "[options] tag_separator", "must not be empty")
    return DealOptions(
        tuple(formats),
        typed_option(path, options, "decimal_comma", bool, False),
        typed_option(path, options, "default_pipeline", str, DEFAULT_PIPELINE).strip() or DEFAULT_PIPELINE,
        currency.upper() if currency else None,
        zone,
        separator,
        typed_option(path, options, "default_created_at", str, None),
        typed_option(path, options, "contacts_are_companies", bool, False),
    )


def load_user_mapping(path: Path) -> UserMapping:
    """Read and check a users mapping."""
    doc = load_toml(path)
    check_keys(path, "mapping", doc, ("columns", "options"))
    options = toml_section(path, doc, "options")
    check_keys(path, "options", options, _READ_OPTIONS)
    return UserMapping(path, mapped_columns(path, doc, USER_FIELDS, USER_REQUIRED),
                       read_options_of(path, options))
