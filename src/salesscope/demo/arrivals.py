"""When leads arrive: an hourly intensity curve and stratified sampling along it.

Leads come mostly on weekday working hours, less in the evening and at weekends, rarely at night.
A cohort's creation moments are *stratified*: the i-th of n leads falls in the i-th n-th of the
cohort's window (measured in intensity), so any stretch of a month holds a predictable number of
leads — the seed-month cases can rely on that instead of hoping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesscope.demo.clock import HOUR_S, DemoCalendar

_HOURLY_WEEKDAY = np.array(
    [0.05, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.35, 0.7, 1.0, 1.1, 1.1,
     1.0, 0.9, 1.0, 1.05, 1.0, 0.9, 0.75, 0.6, 0.5, 0.4, 0.25, 0.12]
)
_WEEKEND_FACTOR = 0.4


@dataclass(frozen=True)
class ArrivalCurve:
    """Cumulative lead intensity over the demo's local hours."""

    cumulative: np.ndarray
    """cumulative[h] = intensity of all hours before local hour h."""
    weight: np.ndarray

    @classmethod
    def build(cls, calendar: DemoCalendar) -> ArrivalCurve:
        hours = calendar.n_days * 24 + 24
        hour = np.arange(hours)
        weekday = (calendar.month_starts[0].weekday() + hour // 24) % 7
        weight = _HOURLY_WEEKDAY[hour % 24] * np.where(weekday < 5, 1.0, _WEEKEND_FACTOR)
        cumulative = np.concatenate([[0.0], np.cumsum(weight)])
        return cls(cumulative, weight)

    def mass(self, start_s: np.ndarray, end_s: np.ndarray) -> np.ndarray:
        """Intensity between two moments (local seconds)."""
        mass: np.ndarray = self._at(end_s) - self._at(start_s)
        return mass

    def _at(self, local_s: np.ndarray) -> np.ndarray:
        local_s = np.asarray(local_s, dtype=np.float64)
        hour = np.clip((local_s // HOUR_S).astype(np.int64), 0, len(self.weight) - 1)
        return self.cumulative[hour] + self.weight[hour] * (local_s / HOUR_S - hour)

    def stratified(
        self, start_s: np.ndarray, end_s: np.ndarray, counts: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """``counts[i]`` moments in ``[start_s[i], end_s[i])``, in order, one per equal slice."""
        total = int(counts.sum())
        group = np.repeat(np.arange(len(counts)), counts)
        first = np.cumsum(counts) - counts
        rank = np.arange(total) - first[group]
        lo = self._at(start_s)[group]
        hi = self._at(end_s)[group]
        q = lo + (rank + rng.uniform(0.02, 0.98, total)) / counts[group] * (hi - lo)
        hour = np.searchsorted(self.cumulative, q, side="right") - 1
        hour = np.clip(hour, 0, len(self.weight) - 1)
        frac = (q - self.cumulative[hour]) / self.weight[hour]
        moment = (hour * HOUR_S + np.clip(frac, 0.0, 0.999) * HOUR_S).astype(np.int64)
        inside: np.ndarray = np.clip(moment, start_s[group], end_s[group] - 1)
        return inside
