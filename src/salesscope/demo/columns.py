"""Arrow columns from numpy arrays: timestamps in UTC, labels, nullable ids, money.

Strings are never built one Python object per row: labels are dictionary-decoded from small
code arrays and composite strings are joined by Arrow kernels, which keeps the large scale
(10,000,000 activities) within seconds and a few gigabytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesscope.demo.clock import DemoCalendar

MONEY = pa.decimal128(18, 2)


def timestamps(calendar: DemoCalendar, local_s: np.ndarray, missing: np.ndarray | None = None
               ) -> pa.Array:
    """Local seconds as naive UTC ``timestamp[us]``; ``missing`` rows become NULL."""
    values = calendar.to_utc(np.asarray(local_s, dtype=np.int64))
    return pa.array(values, type=pa.timestamp("us"), mask=missing)


def labels(codes: np.ndarray, names: Sequence[str]) -> pa.Array:
    """``names[code]`` per row; a negative code is NULL."""
    codes = np.asarray(codes)
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(names), pa.string())).dictionary_decode()


def ids(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """An int64 id column; ``missing`` rows become NULL."""
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=missing)


def money(uah: np.ndarray) -> pa.Array:
    """Whole hryvnias as ``DECIMAL(18,2)``."""
    whole = pa.array(np.asarray(uah, dtype=np.int64), pa.int64())
    return whole.cast(pa.decimal128(19, 0)).cast(MONEY)


def numbered(prefix: str, numbers: np.ndarray, suffix: str = "") -> pa.Array:
    """``prefix + str(number) + suffix`` per row, joined by Arrow."""
    text = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, text, suffix, "")


def joined(parts: Sequence[pa.Array | str], separator: str = "") -> pa.Array:
    """Element-wise concatenation of string columns and constants."""
    return pc.binary_join_element_wise(*parts, separator)
