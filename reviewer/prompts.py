"""Prompt templates as data (prompts/*.yaml), versioned by content hash, rendered into messages.

The judge prompt carries anchors (prompts/anchors.yaml, part of its hash): per artifact type, a
few human-labelled dev cases with their settled level and rationale, inside the system message,
so the stable prefix a provider caches is one per artifact type."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from reviewer.rubric import Rubric, RubricError

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"
JUDGE_PROMPT = PROMPT_DIR / "judge.yaml"
FEEDBACK_PROMPT = PROMPT_DIR / "feedback.yaml"
ANCHORS = "anchors.yaml"


class Anchor(BaseModel):
    """One labelled example: an excerpt of a real artifact, its settled level and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    level: int = Field(ge=1, le=6)
    source: str
    excerpt: str
    rationale: str


class PromptFile(BaseModel):
    """A prompt template file: system and user templates and the re-ask after an invalid answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    system: str
    user: str
    repair: str
    content_hash: str = ""


class JudgePrompt(PromptFile):
    anchors: dict[str, list[Anchor]] = Field(default_factory=dict, description="artifact type -> labelled examples")

    @property
    def version_label(self) -> str:
        return f"{self.version}+{self.content_hash[:12]}"

    def anchor_text(self, artifact_type: str) -> str:
        """The type's labelled examples, each excerpt fenced as untrusted data like the artifact."""
        found = self.anchors.get(artifact_type, [])
        if not found:
            return "(none for this artifact type)"
        return "\n\n".join(f"Example {n} ({artifact_type}, settled level {a.level}; {a.source}):\n"
                            f"{boundary_for(a.excerpt)}\n{a.excerpt}\n{boundary_for(a.excerpt)}\n"
                            f"Why level {a.level}: {a.rationale}" for n, a in enumerate(found, 1))

    def system_message(self, rubric: Rubric, artifact_type: str) -> str:
        """The stable prefix: the same text for every artifact of one type under one rubric."""
        return self.system.format(anchors=self.anchor_text(artifact_type),
            rubric_id=rubric.id, rubric_version=rubric.version_label,
            levels="\n".join(f"{lv.level}. {lv.name}: {lv.summary}\n   Example: {' '.join(lv.exemplar.split())}"
                             for lv in rubric.levels),
            dimensions="\n".join(f"- {d.key} ({d.name}): {d.description}" for d in rubric.dimensions),
            indicators="\n".join(f"- level {i.level} {i.dimension}{' (core)' if i.core else ''}: {i.label}"
                             for i in sorted(rubric.indicators, key=lambda i: (i.level, i.dimension))))

    def messages(self, rubric: Rubric, *, text: str, artifact_type: str, role: str) -> list[dict]:
        return [{"role": "system", "content": self.system_message(rubric, artifact_type)},
                {"role": "user", "content": self.user.format(role=role, artifact_type=artifact_type,
                                                             boundary=boundary_for(text), artifact=text)}]


def boundary_for(text: str) -> str:
    """The fence around the artifact. Derived from the text's hash, so the same artifact gives
    the same messages (and cache key), and its author cannot plant it: writing the fence into
    the text changes the hash."""
    return f"=====ARTIFACT-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}====="


def load_judge_prompt(path: Path | str = JUDGE_PROMPT) -> JudgePrompt:
    """The judge prompt with the anchors file beside it (when there is one), hashed together."""
    path = Path(path)
    anchors = path.with_name(ANCHORS)
    return _load(JudgePrompt, path, anchors if anchors.exists() else None)


class FeedbackPrompt(PromptFile):
    def messages(self, facts: dict) -> list[dict]:
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": self.user.format(facts=json.dumps(facts, indent=1))}]


def _load(model: type[PromptFile], path: Path, anchors: Path | None = None) -> PromptFile:
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
        if anchors is not None:
            extra = anchors.read_bytes()
            data["anchors"] = (yaml.safe_load(extra) or {}).get("anchors", {})
            raw += b"\0" + extra
        return model.model_validate({**data, "content_hash": hashlib.sha256(raw).hexdigest()})
    except (OSError, yaml.YAMLError, ValueError, TypeError, AttributeError) as e:
        raise RubricError(f"{anchors or path}: invalid prompt file: {e}") from None


def load_feedback_prompt(path: Path | str = FEEDBACK_PROMPT) -> FeedbackPrompt:
    return _load(FeedbackPrompt, Path(path))
