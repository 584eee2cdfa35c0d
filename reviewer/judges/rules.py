"""The offline `rules` judge: scores the rubric's dimensions and level from detected indicators.

The level comes from the rubric's fitted level model when it has one (reviewer.levelmodel), and
from the hand rule (`min_core`, `requires_any`, caps) otherwise. Deterministic and instant;
also the cross-check for LLM judges.
"""

from __future__ import annotations

from reviewer import levelmodel
from reviewer.indicators import Lines, detect, injection_spans
from reviewer.rubric import Rubric
from reviewer.schemas import DimensionScore, Evidence, Judgement
from reviewer.turns import followup_view, person_view

NAME = "rules"


def core_counts(met: dict[str, list[Evidence]], rubric: Rubric) -> dict[int, int]:
    """Per level L, the core indicators met at L or above: craft at a higher level also
    evidences the lower one (an agent with tool schemas shows structured reuse too)."""
    counts = {lv.level: 0 for lv in rubric.levels}
    for ind in rubric.indicators:
        if ind.core and ind.id in met:
            for level in range(1, ind.level + 1):
                counts[level] += 1
    return counts


def evidenced_level(met: dict[str, list[Evidence]], rubric: Rubric) -> int:
    """Highest level whose rule the artifact meets: at least `min_core` core indicators at
    that level or above, and one of `requires_any` when the level names some (level 1 needs nothing)."""
    counts = core_counts(met, rubric)
    best = 1
    for lv in rubric.levels:
        enough = counts[lv.level] >= lv.min_core
        required = not lv.requires_any or any(i in met for i in lv.requires_any)
        if lv.min_core and enough and required:
            best = max(best, lv.level)
    return best


def raw_dimension_scores(met: dict[str, list[Evidence]], rubric: Rubric) -> dict[str, int | None]:
    """Per dimension, the highest level among its met indicators (None: not evidenced)."""
    scores: dict[str, int | None] = {d.key: None for d in rubric.dimensions}
    for ind in rubric.indicators:
        if ind.id in met:
            scores[ind.dimension] = max(scores[ind.dimension] or 0, ind.level)
    return scores


def apply_caps(level: int, dims: dict[str, int | None], rubric: Rubric) -> tuple[int, list[str]]:
    """Lower the level where a capped dimension is too weak; returns the level and the reasons."""
    reasons = []
    for cap in sorted(rubric.caps, key=lambda c: c.max_level):
        if level > cap.max_level and (dims.get(cap.dimension) or 0) < cap.below:
            reasons.append(f"level {level} capped at {cap.max_level}: {cap.reason}")
            level = cap.max_level
    return level, reasons


def confidence(*, level: int, met_core: dict[int, int], rubric: Rubric, capped: bool,
               insufficient: bool, injection: bool) -> float:
    """A confidence in [minimum, maximum]: margin over the level rule (`met_core` as from
    core_counts), less for close calls, caps, thin evidence and injection attempts."""
    w = rubric.scoring.confidence
    value = w.base
    lv = rubric.level(level)
    value += w.per_extra_core * max(0, met_core[level] - lv.min_core)
    if level < 6 and met_core[level + 1] > 0:
        value += w.next_level_partial
    value += w.capped if capped else 0
    value += w.insufficient if insufficient else 0
    value += w.injection if injection else 0
    return round(min(w.maximum, max(w.minimum, value)), 2)


def dimension_scores(met: dict[str, list[Evidence]], raw: dict[str, int | None], level: int,
                     rubric: Rubric) -> list[DimensionScore]:
    ceiling = level + rubric.scoring.dimension_max_above_level
    out = []
    for d in rubric.dimensions:
        score = raw[d.key]
        ids = [i for i in rubric.indicators if i.dimension == d.key]
        upto = (score or 1) + 1
        out.append(DimensionScore(
            key=d.key, name=d.name,
            score=None if score is None else min(score, ceiling),
            met=[i.id for i in ids if i.id in met],
            missing=[i.id for i in ids if i.id not in met and i.level <= upto],
        ))
    return out


def evidence(text: str, tree: object, rubric: Rubric,
             artifact_type: str | None = None) -> tuple[dict[str, list[Evidence]], list[tuple[int, int]]]:
    """The indicators met (with their quotes) and the spans that try to steer the grader, which
    are left out of detection. In a transcript only the person's own turns count as evidence, and
    what they wrote back after an answer is where the rubric's follow-up patterns look."""
    lines = Lines(text)
    blocked = injection_spans(lines, rubric)
    followups = None
    if artifact_type == "transcript":
        lines = Lines(person_view(text))
        view = followup_view(text)
        followups = None if view is None else Lines(view)
    return detect(lines, tree, rubric, blocked, followups), blocked


def model_features(met: dict[str, list[Evidence]], raw: dict[str, int | None], artifact_type: str | None,
                   rubric: Rubric) -> dict[str, float]:
    """The fitted model's inputs; `raw` is raw_dimension_scores(met) (the hand rule's caps need it)."""
    rule_level, _ = apply_caps(evidenced_level(met, rubric), raw, rubric)
    return levelmodel.features(list(met), core_counts(met, rubric), rule_level, artifact_type)


def _feature_name(key: str, value: float) -> str:
    kind, _, name = key.partition(":")
    return {"indicator": name, "core_from": f"{value:g} core indicator(s) at level {name} or above",
            "rule_level": f"the hand rule reaching level {name}", "type": f"artifact type {name}"}.get(kind, key)


def _fitted(met: dict[str, list[Evidence]], raw: dict[str, int | None], artifact_type: str | None,
            rubric: Rubric) -> tuple[int, float, str]:
    """Level, calibrated confidence and the explanation from the fitted level model."""
    model = rubric.level_model
    x = model_features(met, raw, artifact_type, rubric)
    level, probs, latent = levelmodel.predict(model, x)
    named = ", ".join(f"{_feature_name(k, x[k])} (+{v:.2f})" for k, v in levelmodel.drivers(model, x))
    why = (f"Level {level} ({rubric.level(level).name}): the fitted level model puts it here with "
           f"probability {probs[level - 1]:.2f} (score {latent:.2f}"
           + (f", above the level-{level} threshold {model.thresholds[level - 2]:.2f}" if level > 1 else "")
           + ")" + (f"; what raised it most: {named}." if named else "; no indicator raised it."))
    return level, round(probs[level - 1], 2), why


def _hand_rule(met: dict[str, list[Evidence]], raw: dict[str, int | None], rubric: Rubric, *,
               insufficient: bool, injection: bool) -> tuple[int, float, str, list[str]]:
    """Level, confidence, explanation and caps from the rubric's hand-set level rule."""
    level, caps = apply_caps(evidenced_level(met, rubric), raw, rubric)
    counts = core_counts(met, rubric)
    conf = confidence(level=level, met_core=counts, rubric=rubric, capped=bool(caps),
                      insufficient=insufficient, injection=injection)
    core_met = [i.id for i in rubric.indicators if i.core and i.level >= level and i.id in met]
    why = (f"Level {level} ({rubric.level(level).name}): "
           + (f"core indicators met: {', '.join(core_met)}." if core_met else "no higher level's core indicators are met.")
           + (" " + " ".join(caps) + "." if caps else ""))
    return level, conf, why, caps


def judge(text: str, tree: object, rubric: Rubric, artifact_type: str | None = None) -> Judgement:
    met, blocked = evidence(text, tree, rubric, artifact_type)
    raw = raw_dimension_scores(met, rubric)
    insufficient = len(text.split()) < rubric.scoring.min_words or not met
    if rubric.level_model:
        level, conf, why = _fitted(met, raw, artifact_type, rubric)
        caps: list[str] = []
    else:
        level, conf, why, caps = _hand_rule(met, raw, rubric, insufficient=insufficient, injection=bool(blocked))
    rationale = (why + (" Too little evidence to judge beyond this floor." if insufficient else "")
                 + (f" {len(blocked)} line(s) try to steer the grader and were ignored." if blocked else ""))
    evidence_list = sorted((e for hits in met.values() for e in hits), key=lambda e: (e.start, -e.level))
    return Judgement(
        judge=NAME, level=level, confidence=conf,
        dimensions=dimension_scores(met, raw, level, rubric),
        evidence=evidence_list, insufficient_evidence=insufficient,
        injection_suspected=bool(blocked), injection_quotes=[text[s:e] for s, e in blocked],
        rationale=rationale, caps_applied=caps,
    )
