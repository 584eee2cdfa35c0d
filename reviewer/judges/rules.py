"""The offline `rules` judge: scores the rubric's dimensions and level from detected indicators.

Deterministic and instant; also the cross-check for LLM judges.
"""

from __future__ import annotations

from reviewer.indicators import Lines, detect, injection_spans
from reviewer.rubric import Rubric
from reviewer.schemas import DimensionScore, Evidence, Judgement

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


def judge(text: str, tree: object, rubric: Rubric) -> Judgement:
    lines = Lines(text)
    blocked = injection_spans(lines, rubric)
    met = detect(lines, tree, rubric, blocked)
    raw = raw_dimension_scores(met, rubric)
    uncapped = evidenced_level(met, rubric)
    level, caps = apply_caps(uncapped, raw, rubric)
    insufficient = len(text.split()) < rubric.scoring.min_words or not met
    counts = core_counts(met, rubric)
    conf = confidence(level=level, met_core=counts, rubric=rubric, capped=bool(caps),
                      insufficient=insufficient, injection=bool(blocked))
    core_met = [i.id for i in rubric.indicators if i.core and i.level >= level and i.id in met]
    rationale = (f"Level {level} ({rubric.level(level).name}): "
                 + (f"core indicators met: {', '.join(core_met)}." if core_met else "no higher level's core indicators are met.")
                 + (" " + " ".join(caps) + "." if caps else "")
                 + (" Too little evidence to judge beyond this floor." if insufficient else "")
                 + (f" {len(blocked)} line(s) try to steer the grader and were ignored." if blocked else ""))
    evidence = sorted((e for hits in met.values() for e in hits), key=lambda e: (e.start, -e.level))
    return Judgement(
        judge=NAME, level=level, confidence=conf,
        dimensions=dimension_scores(met, raw, level, rubric),
        evidence=evidence, insufficient_evidence=insufficient,
        injection_suspected=bool(blocked), injection_quotes=[text[s:e] for s, e in blocked],
        rationale=rationale, caps_applied=caps,
    )
