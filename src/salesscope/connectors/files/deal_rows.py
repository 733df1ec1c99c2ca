"""One row of a deals file parsed into typed values, or an error naming its row, column and value.

Required fields (deal_id, stage, created_at) must be present and parse; an optional field that
is blank stays blank and is counted, so the summary can say "owner blank on 12 rows". Parsing is
pure: names are turned into ids later, by ``references``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from salesscope.connectors.files import values
from salesscope.connectors.files.errors import BadValue, FileImportError
from salesscope.connectors.files.ids import file_deal_id
from salesscope.connectors.files.mapping import DealMapping, StageRule
from salesscope.connectors.files.reading import SourceRow, SourceTable
from salesscope.connectors.files.values import Cell

TEXT_FIELDS = ("name", "loss_reason", "source", "utm_source", "utm_medium", "utm_campaign",
               "utm_content")


@dataclass(frozen=True, slots=True)
class ParsedDeal:
    """A deal as the file states it, names not yet resolved to ids."""

    row: int
    source_id: str
    id: int
    pipeline: str
    stage: StageRule
    owner: str | None
    contact: str | None
    amount: Decimal
    currency: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    texts: dict[str, str | None]
    tags: list[str]
    entered: dict[str, dt.datetime]  # name_key(stage value) -> when the deal entered it


class DealRowParser:
    """Parses the rows of one file against one mapping, counting blanks of optional fields."""

    def __init__(self, source: SourceTable, mapping: DealMapping, zone: ZoneInfo,
                 default_currency: str) -> None:
        self.source = source
        self.mapping = mapping
        self.options = mapping.options
        self.zone = zone
        self.default_currency = default_currency
        self.index = {name: source.column(column) for name, column in mapping.columns.items()}
        self.entered_index = {key: source.column(column)
                              for key, column in mapping.stage_entered.items()}
        self.blanks: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.default_created_at = self._default_created_at()

    def _default_created_at(self) -> dt.datetime | None:
        text = self.options.default_created_at
        if text is None:
            return None
        try:
            return values.moment(text, self.options.date_formats, self.zone)
        except BadValue as exc:
            raise FileImportError(self.mapping.path, 0, "", text,
                                  "[options] default_created_at: " + exc.reason, exc.choices) from None

    def cell(self, row: SourceRow, name: str) -> Cell:
        index = self.index.get(name)
        return None if index is None else row.cells[index]

    def fail(self, row: SourceRow, name: str, value: Cell, reason: str,
             choices: list[str] | None = None, hint: str = "") -> FileImportError:
        return FileImportError(self.source.path, row.number, self.mapping.columns.get(name, name),
                               "" if value is None else value, reason, choices or [], hint)

    def optional(self, row: SourceRow, name: str, expected: bool = True) -> Cell:
        """The cell of an optional field, or None when blank.

        A blank is counted when the field is mapped and the row should have it (``expected``):
        an open deal has no closed_at and only a lost deal has a loss reason.
        """
        value = self.cell(row, name)
        if values.is_blank(value):
            if name in self.index and expected:
                self.blanks[name] += 1
            return None
        return value

    def parse(self, row: SourceRow) -> ParsedDeal:
        source_id = values.text(self.cell(row, "deal_id"))
        if source_id is None:
            raise self.fail(row, "deal_id", None, "blank deal_id")
        pipeline = values.text(self.optional(row, "pipeline")) or self.options.default_pipeline
        stage = self._stage(row, pipeline)
        created_at = self._created_at(row)
        closed_at = self._moment(row, "closed_at", self.optional(row, "closed_at", stage.kind != "open"))
        if closed_at is not None and stage.kind == "open":
            self.notes["closed_at left empty on open deals"] += 1
            closed_at = None
        if closed_at is not None and closed_at < created_at:
            self.notes["deals closed before they were created (kept as given)"] += 1
        return ParsedDeal(
            row.number, source_id, file_deal_id(source_id), pipeline, stage,
            values.text(self.optional(row, "owner")), values.text(self.optional(row, "contact")),
            self._amount(row), self._currency(row), created_at, closed_at,
            {name: values.text(self.optional(row, name, name != "loss_reason" or stage.kind == "lost"))
             for name in TEXT_FIELDS},
            values.tags(self.optional(row, "tags"), self.options.tag_separator),
            self._entered(row),
        )

    def _stage(self, row: SourceRow, pipeline: str) -> StageRule:
        value = self.cell(row, "stage")
        stages = self.mapping.stage_set(pipeline)
        if stages is None:
            raise self.fail(row, "pipeline", pipeline, "no stages for pipeline",
                            hint=f'add [pipeline_stages."{pipeline}"] or [stages] to {self.mapping.path}')
        text = values.text(value)
        rule = stages.find(text) if text is not None else None
        if rule is None:
            raise self.fail(row, "stage", value, "unmapped stage", stages.values(),
                            hint=f"add it to [stages] in {self.mapping.path}")
        return rule

    def _moment(self, row: SourceRow, name: str, value: Cell) -> dt.datetime | None:
        if value is None:
            return None
        try:
            return values.moment(value, self.options.date_formats, self.zone)
        except BadValue as exc:
            raise self.fail(row, name, value, exc.reason, exc.choices,
                            hint="or set [options] date_formats") from None

    def _created_at(self, row: SourceRow) -> dt.datetime:
        value = self.cell(row, "created_at")
        if values.is_blank(value):
            if self.default_created_at is None:
                raise self.fail(row, "created_at", value, "blank created_at",
                                hint="every deal needs one; or set [options] default_created_at")
            self.blanks["created_at"] += 1
            return self.default_created_at
        moment = self._moment(row, "created_at", value)
        assert moment is not None
        return moment

    def _amount(self, row: SourceRow) -> Decimal:
        value = self.optional(row, "amount")
        if value is None:
            return Decimal("0.00")
        try:
            return values.amount(value, self.options.decimal_comma)
        except BadValue as exc:
            raise self.fail(row, "amount", value, exc.reason, exc.choices) from None

    def _currency(self, row: SourceRow) -> str:
        value = self.optional(row, "currency")
        if value is None:
            return self.default_currency
        try:
            return values.currency(value)
        except BadValue as exc:
            raise self.fail(row, "currency", value, exc.reason, exc.choices) from None

    def _entered(self, row: SourceRow) -> dict[str, dt.datetime]:
        found: dict[str, dt.datetime] = {}
        for key, index in self.entered_index.items():
            value = row.cells[index]
            if values.is_blank(value):
                continue
            column = self.mapping.stage_entered[key]
            try:
                found[key] = values.moment(value, self.options.date_formats, self.zone)
            except BadValue as exc:
                raise FileImportError(self.source.path, row.number, column, value, exc.reason,
                                      exc.choices, "or set [options] date_formats") from None
        return found
