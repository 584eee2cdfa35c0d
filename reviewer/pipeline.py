"""The scoring chain for one artifact: decode -> redact -> parse -> detect type -> judge -> feedback.

No I/O here: storing, and the flags that need stored history, are reviewer.service's business.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pydantic import BaseModel

from reviewer.config import Settings
from reviewer.feedback import build_feedback
from reviewer.flags import FlagPolicy, load_policy
from reviewer.intake import decode_text, detect_type, parse_structured, requested_type
from reviewer.judges import rules
from reviewer.redact import redact
from reviewer.rubric import Roles, Rubric, load_roles, load_rubric
from reviewer.schemas import Feedback, Judgement


@dataclass(frozen=True)
class Context:
    """What scoring needs, loaded once per process: settings, rubric, roles and flag policy."""

    settings: Settings
    rubric: Rubric
    roles: Roles
    policy: FlagPolicy

    @property
    def judge_config(self) -> dict:
        return {"judge": self.settings.judge, "model": self.settings.model}


def load_context(settings: Settings) -> Context:
    return Context(settings=settings, rubric=load_rubric(settings.rubric), roles=load_roles(settings.roles),
                   policy=load_policy(settings.flag_policy))


class PreparedArtifact(BaseModel):
    """An accepted artifact: redacted text (all that is ever stored) and what intake learned."""

    text: str
    artifact_type: str
    type_detected: bool
    fmt: str
    sha256_original: str
    size_bytes: int
    redactions: dict[str, int]


class Assessment(BaseModel):
    artifact: PreparedArtifact
    judgement: Judgement
    feedback: Feedback


def prepare(data: bytes | str, type_hint: str | None, max_bytes: int) -> tuple[PreparedArtifact, object]:
    """Decode, redact and parse one artifact; returns it with its parsed tree (or None)."""
    chosen = requested_type(type_hint)
    text = decode_text(data, max_bytes)
    original = data.encode("utf-8") if isinstance(data, str) else data
    redacted = redact(text)
    fmt, tree = parse_structured(redacted.text)
    artifact = PreparedArtifact(
        text=redacted.text,
        artifact_type=chosen or detect_type(redacted.text, fmt, tree),
        type_detected=chosen is None,
        fmt=fmt,
        sha256_original=hashlib.sha256(original).hexdigest(),
        size_bytes=len(original),
        redactions=redacted.counts,
    )
    return artifact, tree


def assess_prepared(artifact: PreparedArtifact, tree: object, role_key: str | None, ctx: Context) -> Assessment:
    role = ctx.roles.require(role_key)
    judgement = rules.judge(artifact.text, tree, ctx.rubric)
    return Assessment(artifact=artifact, judgement=judgement,
                      feedback=build_feedback(judgement, ctx.rubric, role_key, role))


def assess(data: bytes | str, type_hint: str | None, role_key: str | None, ctx: Context) -> Assessment:
    """Score one artifact end to end (nothing stored)."""
    ctx.roles.require(role_key)
    artifact, tree = prepare(data, type_hint, ctx.settings.max_bytes)
    return assess_prepared(artifact, tree, role_key, ctx)
