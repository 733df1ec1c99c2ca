"""The declaration every report module exports as ``SPEC``, with its own options."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salesscope.reports.errors import FilterError

if TYPE_CHECKING:
    from salesscope.reports.filters import Filters
    from salesscope.reports.result import ReportResult
    from salesscope.warehouse.store import Warehouse


@dataclass(frozen=True)
class ReportOption:
    """A setting only some reports take (``--limit 60``, ``--break-min 15``, ``--list``).

    ``type`` is int, float, str or bool; a bool option is a flag. The value reaches the report in
    ``Filters.options`` under ``name`` (CLI ``--break-min`` is name ``break_min``).
    """

    name: str
    type: type
    default: Any
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def parse(self, text: str) -> Any:
        """A value from the command line or a query string; a bad one names itself."""
        if self.type is bool:
            folded = text.strip().lower()
            if folded in ("1", "true", "yes", "on", ""):
                return True
            if folded in ("0", "false", "no", "off"):
                return False
            raise FilterError(self.flag, text, ["true", "false"])
        try:
            return self.type(text)
        except ValueError:
            raise FilterError(self.flag, text, [self.expects], reason=f"malformed {self.flag}") from None

    @property
    def expects(self) -> str:
        return {int: "a whole number", float: "a number", bool: "true or false"}.get(self.type, "text")


@dataclass(frozen=True)
class ReportSpec:
    """A report: its name, title, one-line definition, groupings, options and its function."""

    name: str
    title: str
    summary: str
    groupings: tuple[str, ...]
    run: Callable[[Warehouse, Filters], ReportResult]
    options: tuple[ReportOption, ...] = ()

    def option(self, name: str) -> ReportOption:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise FilterError("option", name, [o.flag for o in self.options] or ["(none for this report)"])

    def parse_options(self, args: Sequence[str]) -> dict[str, Any]:
        """``--name value`` / ``--flag`` pairs from the command line, checked against the spec."""
        values: dict[str, Any] = {}
        i = 0
        while i < len(args):
            token = args[i]
            if not token.startswith("--"):
                raise FilterError("argument", token, [o.flag for o in self.options] or ["(none)"])
            key, _, inline = token[2:].partition("=")
            opt = self.option(key.replace("-", "_"))
            if opt.type is bool and not inline:
                values[opt.name] = True
            elif inline or i + 1 < len(args):
                if not inline:
                    i += 1
                value = opt.parse(inline or args[i])
                # A repeated text option adds to the list (`--kind note --kind call_out`).
                if opt.type is str and opt.name in values:
                    value = f"{values[opt.name]},{value}"
                values[opt.name] = value
            else:
                raise FilterError(opt.flag, "", [opt.expects], reason="missing value for")
            i += 1
        return values

    def with_defaults(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every option of the report, the given value or its default."""
        for name in given:
            self.option(name)
        return {o.name: given.get(o.name, o.default) for o in self.options}
