"""How big a demo account is: the everyday one, or the benchmark one.

Both sizes run the same code; ``large`` adds generated managers (in teams of ten) and thins out
touches per deal so that it lands near 1,000,000 deals and 10,000,000 activities.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """Knobs that set the size of the generated account."""

    name: str
    extra_managers: int
    """Generated managers added to the ten named ones (0 for the everyday demo)."""
    touch_factor: float
    """Multiplier on notes, messages, calls and tasks per deal."""
    repeat_per_month: float
    """Mean repeat-sales deals per manager per month, once the manager has past buyers."""


SCALES: dict[str, Scale] = {
    "default": Scale("default", extra_managers=0, touch_factor=1.0, repeat_per_month=9.0),
    "large": Scale("large", extra_managers=475, touch_factor=0.35, repeat_per_month=9.0),
}


def scale_named(name: str) -> Scale:
    """The scale called ``name``; the error lists the valid names."""
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown demo scale {name!r}; use one of: {', '.join(SCALES)}") from None
