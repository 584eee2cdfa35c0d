"""The fitted level decision: a proportional-odds (ordinal logistic) model on the detected
indicators, whose weights and level thresholds are data (`<rubric>.fit.json`, written by
`reviewer rubric fit`, part of the rubric's version hash).

A level stays explained: the latent score is a sum of named feature weights (each indicator's
weight comes with its quotes in the judgement's evidence), and the level is where that score
falls among the thresholds. The probability of the chosen level is the confidence, calibrated
on cross-validated predictions by a temperature.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

LEVELS = 6


class LevelModel(BaseModel):
    """Weights per feature, five ordered thresholds between the six levels, a temperature."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: dict[str, float]
    thresholds: list[float] = Field(min_length=LEVELS - 1, max_length=LEVELS - 1)
    temperature: float = Field(gt=0)
    fitted: dict = Field(default_factory=dict, description="what it was fitted on and its cross-validated figures")

    @model_validator(mode="after")
    def _ordered(self) -> "LevelModel":
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:])):
            raise ValueError("thresholds must increase")
        return self


def features(met: Sequence[str], core_from: Mapping[int, int], rule_level: int, artifact_type: str | None) -> dict[str, float]:
    """The model's inputs for one artifact: each met indicator, how many core indicators are met
    at each level or above (`core_from`, as the hand rule counts them), the hand rule's level
    (one feature per level reached) and the artifact type. Length is left out on purpose:
    padding an artifact must not move its level."""
    x = {f"indicator:{i}": 1.0 for i in met}
    x |= {f"rule_level:{lv}": 1.0 for lv in range(2, rule_level + 1)}
    x |= {f"core_from:{lv}": float(n) for lv, n in core_from.items() if lv > 1 and n}
    if artifact_type:
        x[f"type:{artifact_type}"] = 1.0
    return x


def score(model: LevelModel, x: Mapping[str, float]) -> float:
    return sum(model.weights.get(k, 0.0) * v for k, v in x.items())


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def probabilities(thresholds: Sequence[float], latent: float, temperature: float = 1.0) -> list[float]:
    """P(level = 1..6) under the proportional-odds model: P(level <= k) = sigmoid((t_k - s) / T)."""
    cumulative = [_sigmoid((t - latent) / temperature) for t in thresholds] + [1.0]
    return [c - p for c, p in zip(cumulative, [0.0] + cumulative[:-1])]


def predict(model: LevelModel, x: Mapping[str, float]) -> tuple[int, list[float], float]:
    """The most probable level, every level's probability and the latent score."""
    latent = score(model, x)
    probs = probabilities(model.thresholds, latent, model.temperature)
    return max(range(LEVELS), key=lambda k: probs[k]) + 1, probs, latent


def drivers(model: LevelModel, x: Mapping[str, float], top: int = 4) -> list[tuple[str, float]]:
    """The features that pushed the score up most, with their contributions."""
    parts = [(k, model.weights.get(k, 0.0) * v) for k, v in x.items()]
    return sorted((p for p in parts if p[1] > 0.005), key=lambda p: -p[1])[:top]
