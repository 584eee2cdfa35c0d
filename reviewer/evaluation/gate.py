"""The regression gate: a new eval report against the accepted baseline, under evals/gate.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml

from pydantic import BaseModel

from reviewer.evaluation.cases import CaseError

DEFAULT_GATE = Path(__file__).resolve().parents[2] / "evals" / "gate.yaml"


class Acceptance(BaseModel):
    qwk_min: float = 0.70
    smd_max: float = 0.15


class GateRules(BaseModel):
    qwk_margin: float = 0.02
    exact_margin: float = 0.0
    consistency_margin: float = 0.0
    max_case_move: int = 2
    # true: every invariance; "not_raised": only that planted text never raises a level
    robustness_must_hold: bool | Literal["not_raised"] = True


class GateConfig(BaseModel):
    acceptance: Acceptance = Acceptance()
    gate: GateRules = GateRules()


def load_gate(path: Path | str = DEFAULT_GATE) -> GateConfig:
    path = Path(path)
    if not path.exists():
        return GateConfig()
    try:
        return GateConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except (yaml.YAMLError, ValueError) as e:
        raise CaseError(f"{path}: invalid gate config: {e}") from None


def load_report(path: Path | str) -> dict:
    """A report.json or baseline file."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise CaseError(f"{path}: not a readable report: {e}") from None


def _dropped(old: float | None, new: float | None, margin: float) -> bool:
    """Both measured and the new one lower by more than the margin (not measured: no verdict)."""
    return old is not None and new is not None and new < old - margin - 1e-9


def regressions(new: dict, baseline: dict, rules: GateRules) -> list[str]:
    """Why the new report fails the gate against the baseline (empty: it passes)."""
    reasons = []
    old_f, new_f = baseline["figures"], new["figures"]
    if _dropped(old_f.get("qwk"), new_f.get("qwk"), rules.qwk_margin):
        reasons.append(f"QWK dropped from {old_f['qwk']:.3f} to {new_f['qwk']:.3f} (margin {rules.qwk_margin})")
    if _dropped(old_f.get("exact"), new_f.get("exact"), rules.exact_margin):
        reasons.append(f"exact agreement dropped from {old_f['exact']:.3f} to {new_f['exact']:.3f}")
    if _dropped(baseline.get("consistency"), new.get("consistency"), rules.consistency_margin):
        reasons.append(f"consistency dropped from {baseline['consistency']:.3f} to {new['consistency']:.3f}")
    broken = [b for b in new["robustness"]["broken"]
              if rules.robustness_must_hold is True or b.get("invariance") == rules.robustness_must_hold]
    if rules.robustness_must_hold and broken:
        reasons.append(f"{len(broken)} robustness invariance(s) broke: {', '.join(b['id'] for b in broken[:10])}")
    for case_id, moved in case_moves(baseline, new):
        if abs(moved[1] - moved[0]) >= rules.max_case_move:
            reasons.append(f"case {case_id} moved from level {moved[0]} to {moved[1]}")
    if new.get("errors"):
        reasons.append(f"{len(new['errors'])} case(s) could not be scored: "
                       + ", ".join(e["id"] for e in new["errors"][:10]))
    return reasons


def case_moves(old: dict, new: dict) -> list[tuple[str, tuple[int, int]]]:
    """Cases in both reports whose automated level changed: (id, (old level, new level))."""
    before, after = old.get("cases", {}), new.get("cases", {})
    return [(cid, (before[cid], after[cid])) for cid in sorted(before.keys() & after.keys())
            if before[cid] is not None and after[cid] is not None and before[cid] != after[cid]]


def baseline_of(report: dict) -> dict:
    """What a baseline keeps of a report: the figures the gate compares and every case's level."""
    keep = ("meta", "figures", "consistency", "robustness", "by_type", "cases")
    return {k: report[k] for k in keep if k in report}
