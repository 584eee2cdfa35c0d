"""Eval suites: golden cases, robustness variants, metrics, reports and the regression gate."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel

from reviewer.evaluation.cases import load_cases
from reviewer.evaluation.gate import DEFAULT_GATE, load_gate, load_report, regressions
from reviewer.evaluation.report import build_report
from reviewer.evaluation.runner import CaseResult, pipeline_scorer, run_cases
from reviewer.pipeline import Context, with_llm_concurrency


def llm_case_threads(calls_in_flight: int) -> int:
    """Cases scored at once so that `calls_in_flight` LLM calls stay busy: a case holds no call
    while it reads its artifact and between its judge samples and its feedback call, so the
    slots stay full only with more cases than slots (1.5 per slot measured best)."""
    return calls_in_flight + calls_in_flight // 2


class Outcome(BaseModel):
    report: dict
    results: list[CaseResult]
    regressions: list[str]


def evaluate_suite(ctx: Context, folders: list[Path], *, repeat: int = 1, concurrency: int = 1,
                   gate_path: Path | None = None, baseline_path: Path | None = None,
                   show_progress: bool = False) -> Outcome:
    """Load the cases, score them, build the report and, with a baseline, apply the gate.

    `concurrency` bounds the LLM calls in flight (it becomes the client's limit) and, with the
    rules judge, the cases scored at once. LiteLLM is loaded before the clock starts."""
    cases = load_cases(*folders)
    gate = load_gate(gate_path or DEFAULT_GATE)
    baseline = load_report(baseline_path) if baseline_path else None
    case_threads = concurrency
    if ctx.llm:
        ctx = with_llm_concurrency(ctx, concurrency)
        ctx.llm.client.warm_up([m for chain in ctx.llm.jury for m in chain])
        case_threads = llm_case_threads(concurrency)
    scorer = pipeline_scorer(ctx)
    if show_progress:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"scoring {len(cases)} cases", total=len(cases))
            results, wall = run_cases(cases, scorer, repeat=repeat, concurrency=case_threads,
                                      on_done=lambda _: progress.advance(task))
    else:
        results, wall = run_cases(cases, scorer, repeat=repeat, concurrency=case_threads)
    meta = {"rubric": ctx.rubric.version_label, "rubric_hash": ctx.rubric.content_hash,
            "judge": ctx.settings.judge, "model": ctx.settings.model, "repeat": repeat, "cases": len(cases),
            "folders": [str(f) for f in folders], "wall_time_s": round(wall, 2),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tokens": sum(r.tokens for r in results), "cost_usd": round(sum(r.cost_usd for r in results), 6),
            "llm_calls": ctx.llm.client.calls if ctx.llm else 0,
            "judged_by": {j: sum(r.judge == j for r in results) for j in sorted({r.judge for r in results if r.judge})}}
    report = build_report(results, meta, gate)
    found = regressions(report, baseline, gate.gate) if baseline else []
    return Outcome(report=report, results=results, regressions=found)
