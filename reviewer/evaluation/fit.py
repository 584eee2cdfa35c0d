"""Fitting the level decision (reviewer.levelmodel) to labelled cases, with k-fold
cross-validation, a calibration temperature and the confidence threshold that routes wrong
levels to a coach.

The model is a proportional-odds logistic regression with an L2 penalty, fitted by L-BFGS-B
(scipy.optimize): statsmodels' OrderedModel has no penalty, which a hundred cases and fifty
features need. Indicator weights are bounded at zero from below, so detecting more evidence
never lowers a level; type and length weights are free. The penalty is chosen by
cross-validated log loss.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit

from reviewer import levelmodel
from reviewer.evaluation import metrics
from reviewer.evaluation.cases import LoadedCase
from reviewer.intake import DEFAULT_MAX_BYTES
from reviewer.judges import rules
from reviewer.pipeline import prepare
from reviewer.rubric import Rubric

PENALTIES = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
K = levelmodel.LEVELS - 1


@dataclass(frozen=True)
class Example:
    id: str
    level: int
    artifact_type: str
    group: str
    x: dict[str, float]


def examples(cases: Sequence[LoadedCase], group: str, rubric: Rubric) -> list[Example]:
    """Each case's model features as the rules judge computes them (robustness variants left out)."""
    out = []
    for c in cases:
        if c.case.variant_of:
            continue
        artifact, tree = prepare(c.data, c.case.artifact_type, DEFAULT_MAX_BYTES)
        met, _ = rules.evidence(artifact.text, tree, rubric, artifact.artifact_type)
        out.append(Example(c.id, c.case.expected.level, artifact.artifact_type, group,
                           rules.model_features(met, rules.raw_dimension_scores(met, rubric), artifact.artifact_type, rubric)))
    return out


def _bounded(name: str) -> bool:
    return name.startswith(("indicator:", "core_from:", "rule_level:"))


def _unpack(params: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    w, a, b = params[:d], params[d], params[d + 1:]
    return w, a + np.concatenate([[0.0], np.cumsum(np.exp(b))])


def _loss(params: np.ndarray, X: np.ndarray, y: np.ndarray, penalty: float) -> tuple[float, np.ndarray]:
    """Penalised negative log likelihood and its gradient; y holds levels 1..6."""
    d = X.shape[1]
    w, theta = _unpack(params, d)
    s = X @ w
    full = np.concatenate([[-np.inf], theta, [np.inf]])
    upper, lower = full[y] - s, full[y - 1] - s
    cu, cl = expit(upper), expit(lower)
    p = np.clip(cu - cl, 1e-12, None)
    fu, fl = cu * (1 - cu), cl * (1 - cl)
    loss = -np.log(p).sum() + penalty / 2 * (w @ w)
    g_s = (fu - fl) / p  # d(-log p)/ds
    grad_w = X.T @ g_s + penalty * w
    g_theta = np.zeros(K)
    np.add.at(g_theta, y[y <= K] - 1, -fu[y <= K] / p[y <= K])
    np.add.at(g_theta, y[y >= 2] - 2, fl[y >= 2] / p[y >= 2])
    b = params[d + 1:]
    grad_b = np.exp(b) * np.cumsum(g_theta[::-1])[::-1][1:]
    return loss, np.concatenate([grad_w, [g_theta.sum()], grad_b])


def fit_weights(X: np.ndarray, y: np.ndarray, bounded: Sequence[bool], penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights and increasing thresholds minimising the penalised loss."""
    d = X.shape[1]
    start = np.concatenate([np.zeros(d), [0.5], np.zeros(K - 1)])
    bounds = [(0, None) if b else (None, None) for b in bounded] + [(None, None)] * K
    result = minimize(_loss, start, args=(X, y, penalty), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 5000})
    return _unpack(result.x, d)


def folds(items: Sequence[Example], k: int, seed: int) -> list[int]:
    """A fold number per example, stratified by level: within each level the examples are
    shuffled by a seeded generator and dealt round the folds."""
    out = [0] * len(items)
    deal = 0
    for level in sorted({e.level for e in items}):
        idx = [i for i, e in enumerate(items) if e.level == level]
        random.Random(f"{seed}:{level}").shuffle(idx)
        for i in idx:
            out[i] = deal % k
            deal += 1
    return out


@dataclass(frozen=True)
class OutOfFold:
    """Per example, the latent score and thresholds of the model that did not see it."""
    latent: np.ndarray
    thresholds: np.ndarray  # one row per example

    def probabilities(self, temperature: float) -> np.ndarray:
        cum = expit((self.thresholds - self.latent[:, None]) / temperature)
        cum = np.concatenate([np.zeros((len(cum), 1)), cum, np.ones((len(cum), 1))], axis=1)
        return np.diff(cum, axis=1)


def _matrix(items: Sequence[Example], names: Sequence[str]) -> np.ndarray:
    col = {n: j for j, n in enumerate(names)}
    X = np.zeros((len(items), len(names)))
    for i, e in enumerate(items):
        for k, v in e.x.items():
            if k in col:
                X[i, col[k]] = v
    return X


def cross_validate(items: Sequence[Example], names: Sequence[str], penalty: float, k: int, seed: int) -> OutOfFold:
    X, y = _matrix(items, names), np.array([e.level for e in items])
    bounded = [_bounded(n) for n in names]
    fold = np.array(folds(items, k, seed))
    latent, thresholds = np.zeros(len(items)), np.zeros((len(items), K))
    for f in range(k):
        train, test = fold != f, fold == f
        w, theta = fit_weights(X[train], y[train], bounded, penalty)
        latent[test] = X[test] @ w
        thresholds[test] = theta
    return OutOfFold(latent, thresholds)


def _nll(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(y)), y - 1], 1e-12, None)).mean())


def temperature(oof: OutOfFold, y: np.ndarray) -> float:
    """The temperature that makes the out-of-fold probabilities best calibrated (least log loss)."""
    best = minimize_scalar(lambda t: _nll(oof.probabilities(np.exp(t)), y), bounds=(-2.0, 2.0), method="bounded")
    return float(np.exp(best.x))


def flag_threshold(expected: Sequence[int], got: Sequence[int], confidence: Sequence[float], *,
                   wrong_share: float, far_share: float) -> float:
    """The lowest `low_confidence.below` that sends at least `wrong_share` of the wrong levels
    and `far_share` of those two or more off to a coach (flagged: confidence below it)."""
    wrong = [c for e, g, c in zip(expected, got, confidence) if e != g]
    far = [c for e, g, c in zip(expected, got, confidence) if abs(e - g) >= 2]
    for below in sorted({round(c + 0.005, 3) for c in confidence} | {0.0}):
        if ((not wrong or sum(c < below for c in wrong) >= wrong_share * len(wrong))
                and (not far or sum(c < below for c in far) >= far_share * len(far))):
            return below
    return 1.0


def figures(items: Sequence[Example], got: Sequence[int], confidence: Sequence[float], below: float) -> dict:
    """The cross-validated figures of one group of examples."""
    expected = [e.level for e in items]
    correct = [e == g for e, g in zip(expected, got)]
    out = metrics.summary(expected, got)
    out.pop("confusion")
    out["ece"] = metrics.expected_calibration_error(confidence, correct)
    out["routing"] = metrics.routing(expected, got, [c < below for c in confidence])
    out["by_type"] = metrics.by_group(expected, got, [e.artifact_type for e in items])
    return out


def fit(items: Sequence[Example], *, k: int, seed: int, wrong_share: float, far_share: float,
        tuned_group: str) -> tuple[levelmodel.LevelModel, float, dict]:
    """The fitted model (on all examples, penalty and temperature from cross-validation), the
    confidence threshold for flagging, and the cross-validated figures per group. The penalty,
    temperature and threshold are chosen on `tuned_group`'s out-of-fold predictions. A level
    between the lowest and the highest labelled with no case is refused (ValueError): nothing
    would keep its two thresholds apart."""
    present = sorted({e.level for e in items})
    missing = [lv for lv in range(present[0], present[-1]) if lv not in present]
    if missing:
        raise ValueError(f"no case is labelled level {', '.join(map(str, missing))}, between levels {present[0]} "
                         f"and {present[-1]}: add cases at that level (or fit with --cases evals/real/dev as well)")
    names = sorted({n for e in items for n in e.x})
    y = np.array([e.level for e in items])
    tuned = np.array([e.group == tuned_group for e in items])
    runs = {p: cross_validate(items, names, p, k, seed) for p in PENALTIES}
    losses = {p: _nll(oof.probabilities(1.0)[tuned], y[tuned]) for p, oof in runs.items()}
    penalty = min(losses, key=losses.get)
    oof = runs[penalty]
    t = temperature(OutOfFold(oof.latent[tuned], oof.thresholds[tuned]), y[tuned])
    probs = oof.probabilities(t)
    got = (probs.argmax(axis=1) + 1).tolist()
    conf = probs.max(axis=1).round(2).tolist()
    sel = [i for i in range(len(items)) if tuned[i]]
    below = flag_threshold([items[i].level for i in sel], [got[i] for i in sel], [conf[i] for i in sel],
                           wrong_share=wrong_share, far_share=far_share)
    X = _matrix(items, names)
    w, theta = fit_weights(X, y, [_bounded(n) for n in names], penalty)
    groups = sorted({e.group for e in items})
    cv = {g: figures([e for e in items if e.group == g], [got[i] for i, e in enumerate(items) if e.group == g],
                     [conf[i] for i, e in enumerate(items) if e.group == g], below) for g in groups}
    ids = sorted(f"{e.group}/{e.id}" for e in items)
    model = levelmodel.LevelModel(
        weights={n: round(float(v), 4) for n, v in zip(names, w) if abs(v) >= 1e-4},
        thresholds=[round(float(v), 4) for v in theta], temperature=round(t, 4),
        fitted={"cases": {g: sum(e.group == g for e in items) for g in groups},
                "cases_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
                "folds": k, "seed": seed, "penalty": penalty,
                "cv_log_loss": {str(p): round(v, 4) for p, v in losses.items()},
                "flag_below": below, "routing_targets": {"wrong": wrong_share, "two_or_more_off": far_share},
                "cross_validated": cv})
    return model, below, cv
