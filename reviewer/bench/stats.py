"""Repeated measurements and the figures built from them.

Every figure is the best and the median of at least three runs taken after a warm-up, shown
beside a baseline (or ceiling) measured in the same benchmark run, with the ratio of the two
medians named by what it compares.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Runs:
    """Measured values of one quantity. `higher_is_better` says which end is the best run:
    the lowest time, or the highest rate."""

    values: list[float]
    unit: str
    higher_is_better: bool = False

    @property
    def best(self) -> float:
        return max(self.values) if self.higher_is_better else min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def as_dict(self) -> dict:
        return {"unit": self.unit, "best": self.best, "median": self.median, "runs": self.values,
                "best_is": "max" if self.higher_is_better else "min"}


def timed_runs(fn: Callable[[], object], runs: int, *, warmup: int = 1) -> Runs:
    """Wall seconds of fn(): `warmup` untimed calls, then `runs` timed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Runs(times, "s")


def scaled(runs: Runs, factor: float, unit: str, *, invert: bool = False) -> Runs:
    """The same runs in another unit: times x factor, or factor / time as a rate (invert=True)."""
    values = [factor / v if invert else v * factor for v in runs.values]
    return Runs(values, unit, higher_is_better=invert != runs.higher_is_better)


@dataclass
class Figure:
    """One line of the table: a measured value beside its baseline and their named ratio."""

    section: str
    name: str
    value: Runs
    baseline_name: str
    baseline: Runs | None
    ratio_name: str
    ratio: float | None = None
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline is not None and self.baseline.median:
            self.ratio = self.value.median / self.baseline.median

    def as_dict(self) -> dict:
        d = asdict(self)
        d["value"] = self.value.as_dict()
        d["baseline"] = self.baseline.as_dict() if self.baseline else None
        return d
