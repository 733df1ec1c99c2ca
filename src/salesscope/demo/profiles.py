"""How each manager works: lead volume, conversion, deal size, pace and habits.

The profiles give every person a recognisable style in the background months (Olena converts
well and sells large, Serhiy sells cheap, Mykyta drops leads early and answers slowly, Taras works
in messengers and makes no outgoing calls). The seed-month cases themselves are exact and are set
in ``story``; profiles only shape everything around them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo import people

TOUCH_KINDS: tuple[str, ...] = ("note", "message_out", "call_out", "call_in", "task_created")
"""Things a manager does on a deal besides moving it; ``KindWeights`` follows this order."""

KindWeights = tuple[float, float, float, float, float]

WORK_HOUR_S = 3600
WORK_DAY_S = 8 * WORK_HOUR_S


@dataclass(frozen=True)
class Profile:
    """One manager's habits; rates are shares in 0..1, times in working seconds."""

    lead_base: float
    """New Sales leads per month before the seasonal wobble."""
    reach_rate: float
    """Share of leads that reach the proposal stage."""
    win_rate: float
    """Share of proposal-stage deals that are won."""
    amount_median: float
    """Median Sales deal size, UAH."""
    amount_sigma: float
    """Spread of log deal size."""
    response_s: float
    """Mean working time from a lead's arrival to its first move."""
    touch_rate: float
    """Multiplier on notes, messages, calls and tasks per deal."""
    kinds: KindWeights
    """Relative frequency of TOUCH_KINDS."""
    early_loss: float
    """Share of low-stage lost deals that are lost right at the first stage."""
    shift_s: int
    """How much earlier (negative) or later the manager's day starts, seconds."""


_STANDARD: KindWeights = (0.20, 0.30, 0.27, 0.07, 0.16)

PROFILES: dict[int, Profile] = {
    people.OLENA.id: Profile(100, 0.78, 0.37, 13_000, 0.70, 1500, 1.15, (0.22, 0.28, 0.28, 0.06, 0.16),
                             0.3, -600),
    people.OLEKSANDR.id: Profile(135, 0.50, 0.30, 9_000, 0.75, 4000, 0.85, _STANDARD, 0.4, 600),
    people.DARIA.id: Profile(120, 0.62, 0.33, 8_500, 0.75, 2400, 1.0, _STANDARD, 0.35, 0),
    people.SERHIY.id: Profile(165, 0.46, 0.20, 1_000, 0.35, 3000, 0.75, (0.10, 0.40, 0.22, 0.08, 0.20),
                              0.4, 300),
    people.MYKYTA.id: Profile(140, 0.50, 0.33, 9_500, 0.75, 9000, 0.70, (0.12, 0.33, 0.30, 0.07, 0.18),
                              0.75, 900),
    people.IHOR.id: Profile(145, 0.58, 0.36, 9_000, 0.75, 2400, 1.0, _STANDARD, 0.35, -300),
    people.ANDRIY.id: Profile(120, 0.60, 0.35, 9_500, 0.75, 2000, 1.05, _STANDARD, 0.35, 0),
    people.IRYNA.id: Profile(130, 0.62, 0.36, 9_000, 0.75, 1800, 1.1, _STANDARD, 0.3, -300),
    people.TARAS.id: Profile(110, 0.56, 0.40, 10_000, 0.75, 2700, 1.0, (0.22, 0.55, 0.0, 0.05, 0.18),
                             0.35, 0),
    people.NATALIA.id: Profile(125, 0.62, 0.35, 9_000, 0.75, 2000, 1.05, _STANDARD, 0.3, 300),
}


def generated_profile(rng: np.random.Generator) -> Profile:
    """A plausible profile for a generated (large-scale) manager."""
    return Profile(
        lead_base=float(rng.uniform(105, 155)),
        reach_rate=float(rng.uniform(0.5, 0.68)),
        win_rate=float(rng.uniform(0.3, 0.4)),
        amount_median=float(rng.uniform(7_000, 11_000)),
        amount_sigma=0.75,
        response_s=float(rng.uniform(1200, 6000)),
        touch_rate=float(rng.uniform(0.8, 1.2)),
        kinds=_STANDARD,
        early_loss=float(rng.uniform(0.25, 0.5)),
        shift_s=int(rng.integers(-600, 601)),
    )
