"""The demo account's fixed reference data: the account, pipelines and stages.

Stage ids are warehouse-unique; ``crm_id`` repeats Kommo's 142 (won) and 143 (lost) in both
pipelines, as a real Kommo account does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACCOUNT_ID = 1
ACCOUNT_NAME = "Demo: Київ Продажі"
CURRENCY = "UAH"
CRM = "demo"
SUBDOMAIN = "demo"


@dataclass(frozen=True)
class Stage:
    id: int
    crm_id: int
    name: str
    sort: int
    kind: str


@dataclass(frozen=True)
class Pipeline:
    id: int
    name: str
    sort: int
    is_main: bool
    stages: tuple[Stage, ...]

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.kind == "open")

    @property
    def won(self) -> Stage:
        return next(s for s in self.stages if s.kind == "won")

    @property
    def lost(self) -> Stage:
        return next(s for s in self.stages if s.kind == "lost")


SALES = Pipeline(1001, "Sales", 1, True, (
    Stage(10011, 10011, "New lead", 10, "open"),
    Stage(10012, 10012, "Contact made", 20, "open"),
    Stage(10013, 10013, "Qualified", 30, "open"),
    Stage(10014, 10014, "Commercial proposal sent", 40, "open"),
    Stage(10015, 10015, "Negotiation", 50, "open"),
    Stage(10016, 10016, "Invoice sent", 60, "open"),
    Stage(10017, 142, "Closed - won", 10000, "won"),
    Stage(10018, 143, "Closed - lost", 10001, "lost"),
))
REPEAT_SALES = Pipeline(1002, "Repeat sales", 2, False, (
    Stage(10021, 10021, "Repeat request", 10, "open"),
    Stage(10022, 10022, "Offer sent", 20, "open"),
    Stage(10023, 10023, "Payment pending", 30, "open"),
    Stage(10024, 142, "Closed - won", 10000, "won"),
    Stage(10025, 143, "Closed - lost", 10001, "lost"),
))
PIPELINES: tuple[Pipeline, ...] = (SALES, REPEAT_SALES)
"""Indexed by the pipeline codes of ``cohorts`` (SALES = 0, REPEAT = 1)."""

PROPOSAL_STAGE = SALES.stages[3]
"""'Commercial proposal sent': the stage the guide's proposal counts refer to."""
MAX_OPEN = max(len(p.open_stages) for p in PIPELINES)


def open_stage_ids() -> np.ndarray:
    """(pipelines, MAX_OPEN) open stage ids in order, padded with -1."""
    out = np.full((len(PIPELINES), MAX_OPEN), -1, dtype=np.int64)
    for i, p in enumerate(PIPELINES):
        out[i, : len(p.open_stages)] = [s.id for s in p.open_stages]
    return out


def end_stage_ids() -> tuple[np.ndarray, np.ndarray]:
    """Won and lost stage id per pipeline code."""
    return (
        np.array([p.won.id for p in PIPELINES], dtype=np.int64),
        np.array([p.lost.id for p in PIPELINES], dtype=np.int64),
    )
