"""Pydantic models that cross boundaries: judge results, flags, feedback, reviews, API bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from reviewer.intake import ARTIFACT_TYPES

EMAIL = r"^[^@\s]+@[^@\s]+$"
MAX_TEAM = 100  # characters of a team name
# What intake accepts as artifact text, documented for clients (intake enforces it with a message
# that says what is wrong): no control characters but tab and line breaks, and not blank.
TEXT = {"minLength": 1, "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f]"
                                   r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"}
TYPES = {"enum": [*ARTIFACT_TYPES, "detect", None]}
FORM_TYPES = {"enum": [*ARTIFACT_TYPES, "detect", ""]}  # a form field has no null: empty means detect


class Error(BaseModel):
    """Every refusal: one message that says what is wrong and what to do."""

    detail: str


class Evidence(BaseModel):
    """A quote from the artifact (`text[start:end]`) that evidences one rubric indicator."""

    indicator: str
    dimension: str
    level: int
    label: str
    quote: str
    start: int
    end: int
    verified: bool = True


class DimensionScore(BaseModel):
    key: str
    name: str
    score: int | None = Field(description="1-6, or null when the artifact does not evidence it")
    met: list[str] = Field(default_factory=list, description="indicator ids met")
    missing: list[str] = Field(default_factory=list, description="indicator ids up to the next level not met")


class Judgement(BaseModel):
    """What one judge concluded about one artifact."""

    judge: str
    level: int = Field(ge=1, le=6)
    confidence: float = Field(ge=0, le=1)
    dimensions: list[DimensionScore]
    evidence: list[Evidence]
    insufficient_evidence: bool
    injection_suspected: bool
    injection_quotes: list[str] = Field(default_factory=list, description="lines that try to steer the grader")
    rationale: str
    caps_applied: list[str] = Field(default_factory=list)


class Flag(BaseModel):
    kind: str
    severity: int = Field(ge=1, le=3, description="1 low, 2 medium, 3 high")
    reason: str


class Strength(BaseModel):
    indicator: str
    text: str
    quote: str


class Gap(BaseModel):
    indicator: str = Field(description="the rubric indicator, or `coach` for a gap a coach wrote")
    dimension: str | None
    level: int | None
    text: str


class Feedback(BaseModel):
    summary: str
    level: int
    level_name: str
    role: str | None
    target: int | None
    gap: int | None = Field(description="target - level; negative when above target")
    strengths: list[Strength]
    gaps: list[Gap]
    next_steps: list[str]
    submit_next: str


class RubricRef(BaseModel):
    id: str
    version: str
    hash: str


class PortfolioEstimate(BaseModel):
    person: str
    role: str | None
    target: int | None
    level: int | None
    confidence: float | None
    rule: str
    dimensions: dict[str, int | None]
    reviews: list[int]


class ReviewRequest(BaseModel):
    """Body of POST /api/reviews."""

    text: str = Field(description="the artifact text (a prompt, transcript, config, ...)", json_schema_extra=TEXT)
    type: str | None = Field(default=None, description="artifact type; detected when absent", json_schema_extra=TYPES)
    role: str | None = Field(default=None, description="role key from rubrics/roles.yaml")
    person: str | None = Field(default=None, max_length=254, pattern=EMAIL, description="the submitter's email")
    note: str | None = Field(default=None, max_length=2000, description="what it was for")


class Review(BaseModel):
    """A stored review as the API and the CLI show it."""

    id: int
    artifact_id: int
    person: str | None
    role: str | None
    status: str
    artifact_type: str
    type_detected: bool
    level: int = Field(description="the coach's level once a coach has overridden it, else the automated one")
    level_name: str
    automated_level: int | None = Field(default=None, description="the judge's level, when a coach decided another")
    confidence: float
    insufficient_evidence: bool
    dimensions: list[DimensionScore]
    evidence: list[Evidence]
    flags: list[Flag]
    feedback: Feedback
    redactions: dict[str, int]
    rubric: RubricRef
    judge: str
    judge_config: dict
    models: list[str] = Field(default_factory=list)
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    usage: dict = Field(default_factory=dict, description="LLM samples, tokens, cost (USD) and latency (ms), summed")
    supersedes: int | None
    excerpt: dict | None = Field(default=None, description="when the artifact did not fit a model's window: "
                                 "the model, its window, the artifact's and the sent tokens, and the character spans sent")
    created_at: str


class ArtifactIn(BaseModel):
    text: str = Field(description="the artifact text", json_schema_extra=TEXT)
    type: str | None = Field(default=None, description="artifact type; detected when absent", json_schema_extra=TYPES)


class SubmissionRequest(BaseModel):
    """Body of POST /api/submissions: several artifacts scored in the background."""

    artifacts: list[ArtifactIn] = Field(min_length=1, max_length=20)
    role: str | None = Field(default=None, description="role key from rubrics/roles.yaml")
    person: str | None = Field(default=None, max_length=254, pattern=EMAIL,
                               description="whose work it is (coaches and admins; employees submit as themselves)")
    team: str | None = Field(default=None, max_length=MAX_TEAM)
    note: str | None = Field(default=None, max_length=2000)


class ArtifactState(BaseModel):
    artifact_id: int
    artifact_type: str
    state: str = Field(description="queued, scoring, done or failed")
    review_id: int | None
    error: str | None


class SubmissionStatus(BaseModel):
    id: int
    created_at: str
    artifacts: list[ArtifactState]
