"""Named random streams: one seeded generator per part of the demo.

Each part (calendar, cohorts, journeys, activities, ...) draws from its own stream derived from the
seed and the part's name, so changing how one part draws numbers leaves every other part's data
unchanged. Nothing here reads the wall clock or the global ``random`` state.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for one named part of the demo, fixed by ``seed``."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
