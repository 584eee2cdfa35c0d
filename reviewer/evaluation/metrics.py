"""Agreement metrics between automated and human levels: small pure functions.

All take parallel sequences `expected` (human) and `got` (automated) of levels 1-6 and are
tested against hand-computed values (QWK also against scikit-learn).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

LEVELS = (1, 2, 3, 4, 5, 6)


def _check(expected: Sequence[int], got: Sequence[int]) -> None:
    if len(expected) != len(got):
        raise ValueError(f"expected and got differ in length ({len(expected)} vs {len(got)}); pass one level per case")


def exact_agreement(expected: Sequence[int], got: Sequence[int]) -> float | None:
    """Share of cases where the levels are equal; None on empty input."""
    _check(expected, got)
    return sum(e == g for e, g in zip(expected, got)) / len(expected) if expected else None


def adjacent_agreement(expected: Sequence[int], got: Sequence[int]) -> float | None:
    """Share of cases within one level; None on empty input."""
    _check(expected, got)
    return sum(abs(e - g) <= 1 for e, g in zip(expected, got)) / len(expected) if expected else None


def mean_absolute_error(expected: Sequence[int], got: Sequence[int]) -> float | None:
    """Mean |got - expected| in levels; None on empty input."""
    _check(expected, got)
    return sum(abs(e - g) for e, g in zip(expected, got)) / len(expected) if expected else None


def confusion_matrix(expected: Sequence[int], got: Sequence[int], levels: Sequence[int] = LEVELS) -> list[list[int]]:
    """Counts, rows = expected level, columns = automated level."""
    _check(expected, got)
    index = {lv: i for i, lv in enumerate(levels)}
    matrix = [[0] * len(levels) for _ in levels]
    for e, g in zip(expected, got):
        matrix[index[e]][index[g]] += 1
    return matrix


def quadratic_weighted_kappa(expected: Sequence[int], got: Sequence[int], levels: Sequence[int] = LEVELS) -> float | None:
    """Cohen's kappa with quadratic weights: 1 perfect agreement, 0 what chance gives,
    < 0 systematic disagreement. Large misses cost more than near misses.

    κ = 1 - Σ w·O / Σ w·E with w_ij = (i-j)² / (k-1)², O the observed confusion matrix and E
    the outer product of its marginals scaled to the same total. None on empty input; when
    both raters use a single identical level (E has no weight), 1.0.
    """
    _check(expected, got)
    if not expected:
        return None
    k, n = len(levels), len(expected)
    observed = confusion_matrix(expected, got, levels)
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * rows[i] * cols[j] / n
    if den == 0:
        return 1.0 if num == 0 else 0.0
    return 1 - num / den


def standardized_mean_difference(expected: Sequence[int], got: Sequence[int]) -> float | None:
    """(mean automated - mean human) / pooled SD, the pooled SD being sqrt((sd_a² + sd_h²) / 2)
    with population SDs. Positive: the machine scores higher. None on empty input; 0.0 when
    both are constant and equal."""
    _check(expected, got)
    if not expected:
        return None
    n = len(expected)
    mh, ma = sum(expected) / n, sum(got) / n
    vh = sum((x - mh) ** 2 for x in expected) / n
    va = sum((x - ma) ** 2 for x in got) / n
    pooled = math.sqrt((va + vh) / 2)
    if pooled == 0:
        return 0.0 if ma == mh else math.copysign(math.inf, ma - mh)
    return (ma - mh) / pooled


def per_level_recall(expected: Sequence[int], got: Sequence[int], levels: Sequence[int] = LEVELS) -> dict[int, float | None]:
    """For each human level, the share of its cases the machine placed there (None: no such case)."""
    _check(expected, got)
    out: dict[int, float | None] = {}
    for lv in levels:
        hits = [g == lv for e, g in zip(expected, got) if e == lv]
        out[lv] = sum(hits) / len(hits) if hits else None
    return out


def consistency(runs_per_case: Sequence[Sequence[int]]) -> float | None:
    """Share of cases whose level was identical in every run; None on empty input."""
    if not runs_per_case:
        return None
    return sum(len(set(runs)) == 1 for runs in runs_per_case) / len(runs_per_case)


BOOTSTRAP_RESAMPLES = 1000


def bootstrap_interval(expected: Sequence[int], got: Sequence[int],
                       statistic: Callable[[Sequence[int], Sequence[int]], float | None], *,
                       confidence: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES,
                       seed: int = 0) -> tuple[float, float] | None:
    """A percentile bootstrap interval for a paired statistic (scipy.stats.bootstrap): cases are
    resampled with their labels, and the interval holds `confidence` of the statistic over the
    resampled suites. Small suites give wide intervals: that is the point. Seeded, so the same
    suite gives the same interval; None with fewer than 2 cases."""
    _check(expected, got)
    if len(expected) < 2:
        return None
    import numpy as np
    from scipy.stats import bootstrap

    def stat(e, g):
        value = statistic(list(e), list(g))
        return math.nan if value is None else value

    result = bootstrap((list(expected), list(got)), stat, paired=True, vectorized=False, n_resamples=resamples,
                       confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed))
    low, high = result.confidence_interval
    return round(float(low), 4), round(float(high), 4)


def reliability_bins(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[dict]:
    """Equal-width confidence bins over [0, 1]: each with its range, n, mean confidence and the
    share of correct levels in it (None when empty). The points of a reliability diagram."""
    _check(confidences, correct)
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in zip(confidences, correct) if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        out.append({"lo": lo, "hi": hi, "n": len(inside),
                    "confidence": sum(c for c, _ in inside) / len(inside) if inside else None,
                    "accuracy": sum(ok for _, ok in inside) / len(inside) if inside else None})
    return out


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float | None:
    """How far confidence is from the share of levels that are right: sum over bins of
    n_b / N x |accuracy_b - confidence_b|. 0 is perfectly calibrated; 0.2 means confidence is
    off by 20 points on average. None on empty input."""
    if not confidences:
        return None
    n = len(confidences)
    return sum(b["n"] / n * abs(b["accuracy"] - b["confidence"])
               for b in reliability_bins(confidences, correct, bins) if b["n"])


def routing(expected: Sequence[int], got: Sequence[int], flagged: Sequence[bool]) -> dict:
    """Which reviews a coach sees: the share flagged, and the share of wrong levels and of levels
    two or more off that were flagged (None when there are none)."""
    _check(expected, got)
    wrong = [f for e, g, f in zip(expected, got, flagged) if e != g]
    far = [f for e, g, f in zip(expected, got, flagged) if abs(e - g) >= 2]
    return {"n": len(expected), "flagged": sum(flagged) / len(flagged) if flagged else None,
            "wrong": len(wrong), "wrong_flagged": sum(wrong) / len(wrong) if wrong else None,
            "off_by_2": len(far), "off_by_2_flagged": sum(far) / len(far) if far else None}


MAX_DEGRADATION = 0.10  # RSMTool's rule of thumb: a judge may agree with humans up to this much less than they agree


def rater_agreement(first: Sequence[int], second: Sequence[int], settled: Sequence[int], judged: Sequence[int]) -> dict:
    """How well two raters agree (exact, adjacent, QWK with bootstrap intervals) beside how well
    the judge agrees with the settled label on the same cases, and the judge's degradation: its
    QWK minus the raters' (negative: it agrees less than the raters do; worse than
    -MAX_DEGRADATION fails). None figures on empty input."""
    raters = {"n": len(first), "exact": exact_agreement(first, second), "adjacent": adjacent_agreement(first, second),
              "qwk": quadratic_weighted_kappa(first, second),
              "ci": {"qwk": bootstrap_interval(first, second, quadratic_weighted_kappa),
                     "exact": bootstrap_interval(first, second, exact_agreement)}}
    judge_qwk = quadratic_weighted_kappa(settled, judged)
    degradation = None if judge_qwk is None or raters["qwk"] is None else round(judge_qwk - raters["qwk"], 4)
    return {"raters": raters, "judge": {"n": len(settled), "exact": exact_agreement(settled, judged),
                                        "qwk": judge_qwk},
            "degradation": degradation, "max_degradation": MAX_DEGRADATION,
            "pass": degradation is None or degradation >= -MAX_DEGRADATION}


def summary(expected: Sequence[int], got: Sequence[int]) -> dict:
    """The standard figure set for one group of cases."""
    return {
        "n": len(expected),
        "exact": exact_agreement(expected, got),
        "adjacent": adjacent_agreement(expected, got),
        "qwk": quadratic_weighted_kappa(expected, got),
        "mae": mean_absolute_error(expected, got),
        "smd": standardized_mean_difference(expected, got),
        "per_level_recall": per_level_recall(expected, got),
        "confusion": confusion_matrix(expected, got),
        "ci": {"qwk": bootstrap_interval(expected, got, quadratic_weighted_kappa),
               "exact": bootstrap_interval(expected, got, exact_agreement)},
    }


GROUP_FIGURES = ("n", "exact", "adjacent", "qwk", "mae", "smd", "ci")


def by_group(expected: Sequence[int], got: Sequence[int], groups: Sequence[str]) -> dict[str, dict]:
    """The standard figures (GROUP_FIGURES) per group, e.g. per artifact type, in group order."""
    out = {}
    for name in sorted(set(groups)):
        sel = [i for i, g in enumerate(groups) if g == name]
        fig = summary([expected[i] for i in sel], [got[i] for i in sel])
        out[name] = {k: fig[k] for k in GROUP_FIGURES}
    return out
