"""Combining judgements: several artifacts of one person into a portfolio estimate."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from pydantic import BaseModel

from reviewer.rubric import PortfolioRule


class ArtifactResult(BaseModel):
    """One reviewed artifact as the portfolio rule sees it."""

    level: int
    confidence: float
    dimensions: dict[str, int | None]


class PortfolioResult(BaseModel):
    level: int | None
    confidence: float | None
    dimensions: dict[str, int | None]


def median_level(levels: Sequence[int]) -> int:
    """The median level, rounded down between two middles (a floor, never an inflated guess)."""
    return int(statistics.median_low(levels))


def combine_dimensions(results: Sequence[ArtifactResult], how: str) -> dict[str, int | None]:
    """Per dimension, the best (max) or median evidenced score; None where no artifact evidences it."""
    keys = sorted({k for r in results for k in r.dimensions})
    out: dict[str, int | None] = {}
    for key in keys:
        scores = [r.dimensions[key] for r in results if r.dimensions.get(key) is not None]
        out[key] = None if not scores else max(scores) if how == "max" else median_level(scores)
    return out


def portfolio(results: Sequence[ArtifactResult], rule: PortfolioRule) -> PortfolioResult:
    """A person-level estimate under the rubric's portfolio rule.

    - highest_confident: the highest level shown with confidence >= min_confidence (an
      artifact shows a floor); the median when no artifact is that confident.
    - median: the median level. - max: the highest level, whatever its confidence.
    Confidence is that of the artifacts at the chosen level (their max). Empty input gives
    an estimate with level None.
    """
    if not results:
        return PortfolioResult(level=None, confidence=None, dimensions={})
    levels = [r.level for r in results]
    if rule.rule == "max":
        level = max(levels)
    elif rule.rule == "median":
        level = median_level(levels)
    else:
        confident = [r.level for r in results if r.confidence >= rule.min_confidence]
        level = max(confident) if confident else median_level(levels)
    at_level = [r.confidence for r in results if r.level == level]
    conf = max(at_level) if at_level else min(r.confidence for r in results)
    return PortfolioResult(level=level, confidence=round(conf, 2),
                           dimensions=combine_dimensions(results, rule.dimensions))


def person_estimate(reviews: Sequence[dict], rule: PortfolioRule) -> PortfolioResult:
    """A person's estimate from their stored reviews (listings.latest_by_person rows: the
    decided `level`, `confidence`, `dimensions` as scores by key): what the portfolio page and the
    team map both show."""
    return portfolio([ArtifactResult(level=r["level"], confidence=r["confidence"], dimensions=r["dimensions"])
                      for r in reviews], rule)
