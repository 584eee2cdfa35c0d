"""Eval reports: the figures as one JSON object, and report.json / report.md / report.html."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reviewer.evaluation import metrics
from reviewer.evaluation.gate import GateConfig
from reviewer.evaluation.runner import CaseResult

TEMPLATES = Path(__file__).parent / "templates"
WORST_CASES = 15


def _by_type(golden: list[CaseResult]) -> dict[str, dict]:
    return metrics.by_group([r.expected_level for r in golden], [r.level for r in golden],
                            [r.artifact_type or "unknown" for r in golden])


def _robustness(variants: list[CaseResult]) -> dict:
    by_inv: dict[str, list[CaseResult]] = defaultdict(list)
    for v in variants:
        by_inv[v.invariance or "?"].append(v)
    return {
        "n": len(variants),
        "held": sum(bool(v.held) for v in variants),
        "share": (sum(bool(v.held) for v in variants) / len(variants)) if variants else None,
        "by_invariance": {k: {"n": len(vs), "held": sum(bool(v.held) for v in vs)} for k, vs in sorted(by_inv.items())},
        "broken": [{"id": v.id, "variant_of": v.variant_of, "invariance": v.invariance, "base_level": v.base_level,
                    "level": v.level, "missing_flags": v.missing_flags, "error": v.error}
                   for v in variants if not v.held],
    }


def _rater_agreement(golden: list[CaseResult]) -> dict | None:
    """Rater-rater agreement on the cases labelled twice, beside the judge's on the same cases."""
    twice = [r for r in golden if r.labels and len(r.labels) >= 2]
    if not twice:
        return None
    return metrics.rater_agreement([r.labels[0] for r in twice], [r.labels[1] for r in twice],
                                   [r.expected_level for r in twice], [r.level for r in twice])


def _calibration(golden: list[CaseResult]) -> dict:
    """Does confidence mean the chance that the level is right? ECE and the reliability bins."""
    confidences = [r.confidence for r in golden if r.confidence is not None]
    correct = [r.level == r.expected_level for r in golden if r.confidence is not None]
    return {"ece": metrics.expected_calibration_error(confidences, correct),
            "bins": metrics.reliability_bins(confidences, correct)}


def _pass(value: float | None, ok) -> dict:
    return {"value": value, "pass": value is not None and ok(value)}


def build_report(results: list[CaseResult], meta: dict, gate: GateConfig) -> dict:
    """The eval's figures: agreement on golden cases, by type, consistency, robustness, failures."""
    scored = [r for r in results if r.error is None]
    golden = [r for r in scored if r.variant_of is None]
    variants = [r for r in results if r.variant_of is not None]
    expected, got = [r.expected_level for r in golden], [r.level for r in golden]
    figures = metrics.summary(expected, got)
    by_type = _by_type(golden)
    repeats = [r.levels for r in golden if len(r.levels) > 1]
    acc = gate.acceptance
    return {
        "meta": meta,
        "n": figures["n"],
        **{k: figures[k] for k in ("exact", "adjacent", "qwk", "mae", "smd", "confusion", "per_level_recall", "ci")},
        "figures": {k: figures[k] for k in ("n", "exact", "adjacent", "qwk", "mae", "smd")},
        "by_type": by_type,
        "consistency": metrics.consistency(repeats) if repeats else None,
        "rater_agreement": _rater_agreement(golden),
        "calibration": _calibration(golden),
        "routing": metrics.routing(expected, got, [bool(r.flags) for r in golden]),
        "robustness": _robustness(variants),
        "thresholds": {
            "qwk": {"min": acc.qwk_min, **_pass(figures["qwk"], lambda v: v >= acc.qwk_min)},
            "smd": {"max_abs": acc.smd_max, **_pass(figures["smd"], lambda v: abs(v) <= acc.smd_max)},
            "qwk_by_type": {k: _pass(v["qwk"], lambda q: q >= acc.qwk_min) for k, v in by_type.items()},
        },
        "failures": [{"id": r.id, "artifact_type": r.artifact_type, "expected": r.expected_level, "got": r.level}
                     for r in golden if r.level != r.expected_level],
        "missed_flags": [{"id": r.id, "missing": r.missing_flags} for r in scored if r.missing_flags],
        "errors": [{"id": r.id, "error": r.error} for r in results if r.error and r.variant_of is None],
        "cases": {r.id: r.level for r in results},
    }


def worst_cases(results: list[CaseResult], n: int = WORST_CASES) -> list[CaseResult]:
    """Golden cases furthest from their human label, then broken variants."""
    golden = [r for r in results if r.variant_of is None and r.level is not None and r.level != r.expected_level]
    golden.sort(key=lambda r: (-abs(r.level - r.expected_level), r.id))
    broken = [r for r in results if r.variant_of is not None and not r.held]
    return (golden + broken)[:n]


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v: "-" if v is None else f"{v:.0%}"
    env.filters["num"] = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"
    env.filters["ci"] = lambda ci: "" if not ci else f" [{ci[0]:.2f}, {ci[1]:.2f}]"
    return env


def render_markdown(report: dict, results: list[CaseResult]) -> str:
    return _env().get_template("report.md.j2").render(r=report, worst=worst_cases(results), levels=metrics.LEVELS)


def render_html(report: dict, results: list[CaseResult]) -> str:
    return _env().get_template("report.html.j2").render(r=report, worst=worst_cases(results), levels=metrics.LEVELS)


def write_report(folder: Path, report: dict, results: list[CaseResult]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps({**report, "results": [r.model_dump() for r in results]},
                                                   indent=2) + "\n")
    (folder / "report.md").write_text(render_markdown(report, results))
    (folder / "report.html").write_text(render_html(report, results))
