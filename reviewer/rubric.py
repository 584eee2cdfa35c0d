"""The rubric and role targets: loaded from YAML, validated with pydantic, versioned by hash.

A rubric's fitted level decision (reviewer.levelmodel) lives beside it as `<name>.fit.json`;
its bytes are part of the rubric's hash, so a refit is a new rubric version.

Every pattern must compile on the linear-time engine (reviewer.patterns), so no rubric can hold a
pattern that backtracks catastrophically on an artifact.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from reviewer.levelmodel import LevelModel
from reviewer.patterns import Pattern, compile_pattern

RUBRIC_DIR = Path(__file__).resolve().parent.parent / "rubrics"
DEFAULT_RUBRIC = RUBRIC_DIR / "proficiency.yaml"
DEFAULT_ROLES = RUBRIC_DIR / "roles.yaml"
LEVELS = range(1, 7)


class RubricError(ValueError):
    """A rubric or roles file that cannot be used; the message names file, location and reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StructureCheck(_Strict):
    """One check on the parsed YAML/JSON tree; see the header of rubrics/proficiency.yaml."""

    key: str | None = None
    value: str | None = None
    non_empty: bool = False
    has_keys: list[str] | None = None
    min_count: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_kind(self) -> "StructureCheck":
        if (self.key is None) == (self.has_keys is None):
            raise ValueError("a structure check needs exactly one of `key` or `has_keys`")
        for p in (self.key, self.value):
            if p is not None:
                compile_pattern(p)
        return self

    @cached_property
    def key_re(self) -> Pattern | None:
        return compile_pattern(self.key) if self.key else None

    @cached_property
    def value_re(self) -> Pattern | None:
        return compile_pattern(self.value) if self.value else None

    @cached_property
    def key_sets(self) -> list[set[str]]:
        """has_keys as alternatives, lower-cased: [A, B|C] -> [{a}, {b, c}]."""
        return [{k.strip().lower() for k in alt.split("|")} for alt in self.has_keys or []]


def _patterns_compile(patterns: list[str]) -> list[str]:
    for p in patterns:
        compile_pattern(p)
    return patterns


Patterns = Annotated[list[str], AfterValidator(_patterns_compile)]


class Detect(_Strict):
    patterns: Patterns = Field(default_factory=list)
    # matched only on what a transcript's person wrote after the first answer (reviewer.turns.followup_view)
    followup_patterns: Patterns = Field(default_factory=list)
    structure: list[StructureCheck] = Field(default_factory=list)
    min_matches: int = Field(default=1, ge=1)
    # RE2 has no lookahead: a pattern hit is dropped when one of these matches where it starts
    exclude: Patterns = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_to_detect(self) -> "Detect":
        if not self.patterns and not self.followup_patterns and not self.structure:
            raise ValueError("an indicator needs at least one pattern or structure check")
        return self

    @cached_property
    def compiled(self) -> list[Pattern]:
        return [compile_pattern(p) for p in self.patterns]

    @cached_property
    def compiled_followup(self) -> list[Pattern]:
        return [compile_pattern(p) for p in self.followup_patterns]

    @cached_property
    def compiled_exclude(self) -> list[Pattern]:
        return [compile_pattern(p) for p in self.exclude]


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dimension: str
    level: int = Field(ge=1, le=6)
    core: bool = False
    label: str
    practice: str
    detect: Detect


class Level(_Strict):
    level: int = Field(ge=1, le=6)
    name: str
    summary: str
    exemplar: str
    min_core: int = Field(ge=0)
    requires_any: list[str] = Field(default_factory=list)
    submit_next: str


class Dimension(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    description: str


class ConfidenceWeights(_Strict):
    base: float
    per_extra_core: float
    next_level_partial: float
    capped: float
    insufficient: float
    injection: float
    minimum: float = Field(ge=0, le=1)
    maximum: float = Field(ge=0, le=1)


class Scoring(_Strict):
    min_words: int = Field(ge=0)
    dimension_max_above_level: int = Field(ge=0, le=5)
    confidence: ConfidenceWeights


class Cap(_Strict):
    dimension: str
    below: int = Field(ge=1, le=6)
    max_level: int = Field(ge=1, le=6)
    reason: str


class PortfolioRule(_Strict):
    rule: Literal["highest_confident", "median", "max"]
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    dimensions: Literal["max", "median"] = "max"


class FeedbackText(_Strict):
    below_target: str
    at_target: str
    above_target: str
    no_role: str
    insufficient: str
    no_gaps: str


class Injection(_Strict):
    patterns: Patterns

    @cached_property
    def compiled(self) -> list[Pattern]:
        return [compile_pattern(p) for p in self.patterns]


class Rubric(_Strict):
    id: str
    version: str
    title: str
    levels: list[Level]
    dimensions: list[Dimension]
    indicators: list[Indicator]
    injection: Injection
    scoring: Scoring
    caps: list[Cap] = Field(default_factory=list)
    portfolio: PortfolioRule
    feedback: FeedbackText
    level_model: LevelModel | None = None
    content_hash: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "Rubric":
        if sorted(lv.level for lv in self.levels) != list(LEVELS):
            raise ValueError("levels must be exactly 1 to 6, each once")
        keys = [d.key for d in self.dimensions]
        if len(set(keys)) != len(keys):
            raise ValueError("dimension keys must be unique")
        ids = [i.id for i in self.indicators]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"indicator ids must be unique; repeated: {', '.join(dupes)}")
        for ind in self.indicators:
            if ind.dimension not in keys:
                raise ValueError(f"indicator {ind.id!r} names unknown dimension {ind.dimension!r}")
        for lv in self.levels:
            unknown = [i for i in lv.requires_any if i not in ids]
            if unknown:
                raise ValueError(f"level {lv.level} requires unknown indicators {unknown}")
            cores = sum(1 for i in self.indicators if i.level == lv.level and i.core)
            if lv.min_core > cores:
                raise ValueError(f"level {lv.level} needs {lv.min_core} core indicators but defines {cores}")
        for cap in self.caps:
            if cap.dimension not in keys:
                raise ValueError(f"cap names unknown dimension {cap.dimension!r}")
        if self.level_model:
            stale = sorted(k.split(":", 1)[1] for k in self.level_model.weights
                           if k.startswith("indicator:") and k.split(":", 1)[1] not in ids)
            if stale:
                raise ValueError(f"the fitted level model weighs indicators the rubric no longer has "
                                 f"({', '.join(stale)}): refit it with `reviewer rubric fit`")
        return self

    @property
    def version_label(self) -> str:
        return f"{self.version}+{self.content_hash[:12]}"

    def level(self, n: int) -> Level:
        return next(lv for lv in self.levels if lv.level == n)

    def dimension(self, key: str) -> Dimension:
        return next(d for d in self.dimensions if d.key == key)

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)


class Role(_Strict):
    name: str
    target: int = Field(ge=1, le=6)
    why: str


class Roles(_Strict):
    version: str
    roles: dict[str, Role]

    def get(self, key: str | None) -> Role | None:
        return self.roles.get(key) if key else None

    def require(self, key: str | None) -> Role | None:
        """The role for `key` (None when no role is given); an unknown key raises RubricError."""
        if not key:
            return None
        role = self.roles.get(key)
        if role is None:
            raise RubricError(f"unknown role {key!r}; known roles: {', '.join(self.roles)}")
        return role


def _read_yaml(path: Path) -> tuple[bytes, object]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise RubricError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return raw, yaml.safe_load(raw)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RubricError(f"{path}:{where}: not valid YAML: {getattr(e, 'problem', e)}") from None


def _location(data: object, loc: tuple) -> str:
    """A readable location: 'indicators[12] (id grounded_in_sources) -> detect -> patterns[0]'."""
    parts, node = [], data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            try:
                node = node[step]
                if isinstance(node, dict) and "id" in node:
                    label += f" (id {node['id']})"
                elif isinstance(node, dict) and "level" in node and "name" in node:
                    label += f" (level {node['level']})"
            except (IndexError, KeyError, TypeError):
                node = None
            parts[-1:] = [(parts[-1] if parts else "") + label]
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return " -> ".join(parts) or "top level"


def _validate(model: type[BaseModel], path: Path, data: object, **extra) -> BaseModel:
    if not isinstance(data, dict):
        raise RubricError(f"{path}: top level must be a mapping")
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as e:
        first = e.errors()[0]
        more = f" (and {e.error_count() - 1} more problems)" if e.error_count() > 1 else ""
        reason = first["msg"].removeprefix("Value error, ")
        raise RubricError(f"{path}: {_location(data, first['loc'])}: {reason}{more}") from None


def fit_path(rubric_path: Path) -> Path:
    """Where a rubric's fitted level decision lives: rubrics/proficiency.yaml -> proficiency.fit.json."""
    return rubric_path.with_name(rubric_path.stem + ".fit.json")


def load_rubric(path: Path | str = DEFAULT_RUBRIC, *, fitted_level: bool = True) -> Rubric:
    """The rubric, with its fitted level model when one lies beside it (`fitted_level=False`:
    the hand-set level rule alone)."""
    path = Path(path)
    raw, data = _read_yaml(path)
    extra: dict = {}
    fitted = fit_path(path)
    if fitted_level and fitted.exists():
        fit_raw = fitted.read_bytes()
        try:
            extra["level_model"] = LevelModel.model_validate_json(fit_raw)
        except ValidationError as e:
            raise RubricError(f"{fitted}: not a fitted level model: {e.errors()[0]['msg']}") from None
        raw += b"\0" + fit_raw
    return _validate(Rubric, path, data, content_hash=hashlib.sha256(raw).hexdigest(), **extra)


def load_roles(path: Path | str = DEFAULT_ROLES) -> Roles:
    path = Path(path)
    _, data = _read_yaml(path)
    return _validate(Roles, path, data)
