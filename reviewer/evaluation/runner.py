"""Run eval cases through a judge: every case (K times with --repeat), in parallel where the
judge allows, then check each robustness variant against its golden case."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel, Field

from reviewer.evaluation.cases import LoadedCase
from reviewer.flags import evaluate
from reviewer.intake import IntakeError
from reviewer.pipeline import Context, assess
from reviewer.rubric import RubricError
from reviewer.service import flag_facts

MAX_EVIDENCE = 6


class Scored(BaseModel):
    level: int
    judge: str
    tokens: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0
    confidence: float
    artifact_type: str
    dimensions: dict[str, int | None]
    flags: list[str]
    evidence: list[dict]
    rationale: str


class CaseResult(BaseModel):
    id: str
    path: str
    artifact_type: str | None = None
    expected_level: int
    expected_dimensions: dict[str, int] = Field(default_factory=dict)
    expected_flags: list[str] = Field(default_factory=list)
    labels: list[int] | None = Field(default=None, description="the raters' independent levels")
    levels: list[int] = Field(default_factory=list, description="the level of each repeat")
    level: int | None = None
    confidence: float | None = None
    dimensions: dict[str, int | None] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    missing_flags: list[str] = Field(default_factory=list)
    evidence: list[dict] = Field(default_factory=list)
    rationale: str = ""
    variant_of: str | None = None
    invariance: str | None = None
    base_level: int | None = None
    held: bool | None = None
    judge: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0
    error: str | None = None


Scorer = Callable[[LoadedCase], Scored]


def pipeline_scorer(ctx: Context) -> Scorer:
    """Score a case as a live review would (the configured judge and the flag policy), without
    stored history."""
    def score(loaded: LoadedCase) -> Scored:
        case = loaded.case
        a = assess(loaded.data, case.artifact_type, case.role, ctx)
        target = ctx.roles.require(case.role).target if case.role else None
        flags = evaluate(flag_facts(a, ctx, target, reviews_under_rubric=sys.maxsize), ctx.policy)
        j = a.judgement
        sent = [x for x in a.samples if x.error is None and not x.cached]
        return Scored(level=j.level, judge=j.judge, tokens=sum(x.tokens_in + x.tokens_out for x in a.samples),
                      cost_usd=sum(x.cost_usd for x in a.samples), llm_calls=len(sent),
                      confidence=j.confidence, artifact_type=a.artifact.artifact_type,
                      dimensions={d.key: d.score for d in j.dimensions}, flags=[f.kind for f in flags],
                      evidence=[{"indicator": e.indicator, "level": e.level, "quote": e.quote}
                                for e in sorted(j.evidence, key=lambda e: -e.level)[:MAX_EVIDENCE]],
                      rationale=j.rationale)
    return score


def run_case(loaded: LoadedCase, scorer: Scorer, repeat: int) -> CaseResult:
    case = loaded.case
    result = CaseResult(id=case.id, path=str(loaded.path), expected_level=case.expected.level,
                        expected_dimensions=case.expected.dimensions, expected_flags=case.expected.flags,
                        labels=case.labels,
                        variant_of=case.variant_of, invariance=case.invariance, artifact_type=case.artifact_type)
    try:
        runs = [scorer(loaded) for _ in range(repeat)]
    except (IntakeError, RubricError) as e:
        return result.model_copy(update={"error": str(e)})
    first = runs[0]
    return result.model_copy(update={
        "levels": [r.level for r in runs], "level": first.level, "confidence": first.confidence,
        "artifact_type": case.artifact_type or first.artifact_type, "dimensions": first.dimensions,
        "flags": first.flags, "missing_flags": [f for f in case.expected.flags if f not in first.flags],
        "evidence": first.evidence, "rationale": first.rationale, "judge": first.judge,
        "tokens": sum(r.tokens for r in runs), "cost_usd": sum(r.cost_usd for r in runs),
        "llm_calls": sum(r.llm_calls for r in runs)})


def check_invariances(results: list[CaseResult]) -> list[CaseResult]:
    """Mark each variant as held or not against its golden case's automated level."""
    by_id = {r.id: r for r in results}
    out = []
    for r in results:
        if r.variant_of is None:
            out.append(r)
            continue
        base = by_id.get(r.variant_of)
        if base is None or base.level is None or r.level is None:
            why = r.error or f"its golden case {r.variant_of!r} is not in this run (pass both --cases folders)"
            out.append(r.model_copy(update={"held": False, "error": why}))
            continue
        level_ok = r.level <= base.level if r.invariance == "not_raised" else r.level == base.level
        out.append(r.model_copy(update={"base_level": base.level, "held": level_ok and not r.missing_flags}))
    return out


def run_cases(cases: list[LoadedCase], scorer: Scorer, *, repeat: int = 1, concurrency: int = 1,
              on_done: Callable[[CaseResult], None] | None = None) -> tuple[list[CaseResult], float]:
    """All results (in case order) and the wall time in seconds."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(run_case, c, scorer, repeat) for c in cases]
        results = []
        for f in futures:
            results.append(f.result())
            if on_done:
                on_done(results[-1])
    return check_invariances(results), time.perf_counter() - start
