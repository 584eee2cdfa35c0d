"""The flag policy (rubrics/flags.yaml) applied to the facts of one review: a pure function."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from reviewer.rubric import RUBRIC_DIR, RubricError
from reviewer.schemas import Flag

DEFAULT_POLICY = RUBRIC_DIR / "flags.yaml"


class FlagRule(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    severity: int = Field(ge=1, le=3)
    reason: str
    title: str | None = Field(default=None, description="the flag's name as coaches read it")
    enabled: bool = True


class AgreementPolicy(BaseModel):
    """When the coach queue warns that automation and coaches disagree too often (reviewer.agreement):
    over the reviews coaches settled in the last `days` days, once there are at least `min_decisions`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    days: int = Field(default=28, ge=1, le=366)
    min_decisions: int = Field(default=20, ge=1)
    min_exact: float = Field(default=0.4, ge=0, le=1)
    min_qwk: float = Field(default=0.6, ge=-1, le=1)


class FlagPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    rules: dict[str, FlagRule]
    agreement: AgreementPolicy = AgreementPolicy()

    def title(self, kind: str) -> str:
        rule = self.rules.get(kind)
        return (rule.title if rule and rule.title else None) or kind.replace("_", " ").capitalize()

    def titles(self) -> dict[str, str]:
        """What coaches read for each rule."""
        return {kind: self.title(kind) for kind in self.rules}

    def param(self, kind: str, name: str, default: float) -> float:
        rule = self.rules.get(kind)
        return getattr(rule, name, default) if rule else default


class ReviewFacts(BaseModel):
    """Everything a flag rule may look at; the judges and the store fill it in."""

    level: int
    confidence: float
    target: int | None = None
    insufficient_evidence: bool = False
    injection_lines: int = 0
    unverified_quotes: int = 0
    judge_levels: dict[str, int] = Field(default_factory=dict, description="judge name -> level")
    sample_levels: list[int] = Field(default_factory=list)
    llm_error: str | None = None
    llm_failure: str | None = Field(default=None, description="why the LLM judge gave no answer: unavailable "
                                    "(no model answered; also when not given) or what went wrong instead")
    excerpt: dict | None = Field(default=None, description="the excerpt the LLM judge read instead of the artifact")
    audit_key: str = ""
    rubric_label: str = ""
    reviews_under_rubric: int = Field(default=0, description="reviews stored before this one under the same rubric hash")


def load_policy(path: Path | str = DEFAULT_POLICY) -> FlagPolicy:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return FlagPolicy.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as e:
        raise RubricError(f"{path}: invalid flag policy: {e}") from None


def set_low_confidence(path: Path, below: float) -> None:
    """Set `rules.low_confidence.below` in a policy file, leaving the rest of the text (and its
    comments) as it was."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(r"(?m)^(  low_confidence:\n(?:    .*\n)*?    below:\s*)[0-9.]+", rf"\g<1>{below:g}", text)
    if n != 1:
        raise RubricError(f"{path}: no rules.low_confidence.below value to set")
    path.write_text(new, encoding="utf-8")
    load_policy(path)


def audit_draw(key: str) -> float:
    """A stable number in [0, 1) from a key: the same review is always drawn the same way."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def _triggers(facts: ReviewFacts, policy: FlagPolicy) -> dict[str, object]:
    """kind -> detail for every rule whose condition holds."""
    p = policy.param
    out: dict[str, object] = {}
    if facts.injection_lines:
        out["prompt_injection"] = f"{facts.injection_lines} line(s)"
    if facts.unverified_quotes:
        out["unverified_evidence"] = facts.unverified_quotes
    if len(facts.judge_levels) > 1:
        spread = max(facts.judge_levels.values()) - min(facts.judge_levels.values())
        if spread >= p("judge_disagreement", "min_levels", 2):
            out["judge_disagreement"] = spread
    if facts.llm_error:
        out["llm_unavailable" if facts.llm_failure in (None, "unavailable") else "llm_failed"] = facts.llm_error
    if facts.excerpt:
        x = facts.excerpt
        out["excerpted"] = f"{x['sent_tokens']:,} of {x['artifact_tokens']:,} tokens, window {x['window_tokens']:,}"
    if facts.confidence < p("low_confidence", "below", 0.5):
        out["low_confidence"] = f"{facts.confidence:.2f}"
    if facts.sample_levels:
        spread = max(facts.sample_levels) - min(facts.sample_levels)
        if spread >= p("sample_spread", "min_levels", 2):
            out["sample_spread"] = spread
    if facts.target is not None and abs(facts.target - facts.level) >= p("large_gap_to_target", "min_gap", 2):
        gap = facts.target - facts.level
        out["large_gap_to_target"] = f"{abs(gap)} levels {'below' if gap > 0 else 'above'}"
    if facts.insufficient_evidence:
        out["insufficient_evidence"] = ""
    if facts.reviews_under_rubric < p("new_rubric_version", "first_n", 0):
        out["new_rubric_version"] = facts.rubric_label
    if facts.audit_key and audit_draw(facts.audit_key) < p("random_audit", "rate", 0):
        out["random_audit"] = ""
    return out


def evaluate(facts: ReviewFacts, policy: FlagPolicy) -> list[Flag]:
    """Flags raised for a review, most severe first."""
    flags = []
    for kind, detail in _triggers(facts, policy).items():
        rule = policy.rules.get(kind)
        if rule is None or not rule.enabled:
            continue
        params = rule.model_dump(exclude={"severity", "reason", "enabled"})
        flags.append(Flag(kind=kind, severity=rule.severity, reason=rule.reason.format(detail=detail, **params)))
    return sorted(flags, key=lambda f: -f.severity)
