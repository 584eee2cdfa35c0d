"""Prompt templates as data (prompts/*.yaml), versioned by content hash, rendered into messages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from reviewer.rubric import Rubric, RubricError

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"
JUDGE_PROMPT = PROMPT_DIR / "judge.yaml"
FEEDBACK_PROMPT = PROMPT_DIR / "feedback.yaml"


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
    @property
    def version_label(self) -> str:
        return f"{self.version}+{self.content_hash[:12]}"

    def system_message(self, rubric: Rubric) -> str:
        """The stable prefix: the same text for every artifact under one rubric."""
        return self.system.format(
            rubric_id=rubric.id, rubric_version=rubric.version_label,
            levels="\n".join(f"{lv.level}. {lv.name}: {lv.summary}\n   Example: {' '.join(lv.exemplar.split())}"
                             for lv in rubric.levels),
            dimensions="\n".join(f"- {d.key} ({d.name}): {d.description}" for d in rubric.dimensions),
            indicators="\n".join(f"- level {i.level} {i.dimension}{' (core)' if i.core else ''}: {i.label}"
                             for i in sorted(rubric.indicators, key=lambda i: (i.level, i.dimension))))

    def messages(self, rubric: Rubric, *, text: str, artifact_type: str, role: str) -> list[dict]:
        return [{"role": "system", "content": self.system_message(rubric)},
                {"role": "user", "content": self.user.format(role=role, artifact_type=artifact_type,
                                                             boundary=boundary_for(text), artifact=text)}]


def boundary_for(text: str) -> str:
    """The fence around the artifact. Derived from the text's hash, so the same artifact gives
    the same messages (and cache key), and its author cannot plant it: writing the fence into
    the text changes the hash."""
    return f"=====ARTIFACT-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}====="


def load_judge_prompt(path: Path | str = JUDGE_PROMPT) -> JudgePrompt:
    return _load(JudgePrompt, Path(path))


class FeedbackPrompt(PromptFile):
    def messages(self, facts: dict) -> list[dict]:
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": self.user.format(facts=json.dumps(facts, indent=1))}]


def _load(model: type[PromptFile], path: Path) -> PromptFile:
    try:
        raw = path.read_bytes()
        return model.model_validate({**yaml.safe_load(raw), "content_hash": hashlib.sha256(raw).hexdigest()})
    except (OSError, yaml.YAMLError, ValueError, TypeError) as e:
        raise RubricError(f"{path}: invalid prompt file: {e}") from None


def load_feedback_prompt(path: Path | str = FEEDBACK_PROMPT) -> FeedbackPrompt:
    return _load(FeedbackPrompt, Path(path))
