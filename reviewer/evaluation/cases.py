"""The eval case format: one YAML file per case, in any folder tree (README, "Eval cases")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DIMENSION_KEYS = ("framing", "grounding", "verification", "workflow", "system_design", "responsible_use")


class CaseError(ValueError):
    """A case folder or file that cannot be used; the message names the file and the reason."""


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=1, le=6)
    dimensions: dict[str, int] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_dimensions(self) -> "Expected":
        unknown = sorted(set(self.dimensions) - set(DIMENSION_KEYS))
        if unknown:
            raise ValueError(f"unknown dimensions {unknown}; use {', '.join(DIMENSION_KEYS)}")
        if any(not 1 <= v <= 6 for v in self.dimensions.values()):
            raise ValueError("dimension labels must be 1-6")
        return self


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    artifact_type: str | None = None
    role: str | None = None
    artifact: str | None = None
    artifact_file: str | None = None
    expected: Expected
    # the raters' independent levels, one each (expected.level is the settled one): rater agreement
    labels: list[int] | None = Field(default=None, min_length=1)
    notes: str | None = None
    source: str | None = None
    license: str | None = Field(default=None, description="SPDX id of the artifact's licence (real artifacts)")
    # cases exported from coaches' decisions: the judge's level the coach saw (expected.level is the coach's)
    automated_level: int | None = Field(default=None, ge=1, le=6)
    # robustness variants only: the golden case they derive from and what must hold
    variant_of: str | None = None
    invariance: Literal["not_raised", "unchanged"] | None = None

    @model_validator(mode="after")
    def _one_artifact(self) -> "Case":
        if (self.artifact is None) == (self.artifact_file is None):
            raise ValueError("give exactly one of `artifact` (inline text) or `artifact_file` (a path)")
        if (self.variant_of is None) != (self.invariance is None):
            raise ValueError("`variant_of` and `invariance` go together")
        if self.labels and any(not 1 <= v <= 6 for v in self.labels):
            raise ValueError("labels must be levels 1-6, one per rater")
        return self


class LoadedCase(BaseModel):
    case: Case
    path: Path
    data: bytes | str

    @property
    def id(self) -> str:
        return self.case.id


def looks_like_case(doc: object) -> bool:
    """Case files are mappings with `id`, `expected` and an artifact; other YAML (artifacts
    referenced by `artifact_file`) is not a case."""
    return isinstance(doc, dict) and "id" in doc and "expected" in doc and ("artifact" in doc or "artifact_file" in doc)


def _artifact_data(case: Case, path: Path, root: Path) -> bytes | str:
    if case.artifact is not None:
        return case.artifact
    target = (path.parent / case.artifact_file).resolve()
    if not target.is_relative_to(root):
        raise CaseError(f"{path}: artifact_file {case.artifact_file!r} points outside the case folder {root}")
    try:
        return target.read_bytes()
    except OSError as e:
        raise CaseError(f"{path}: artifact_file {case.artifact_file!r}: {e.strerror}") from None


def load_case_file(path: Path, root: Path) -> LoadedCase | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CaseError(f"{path}: not readable: {e}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        # artifacts referenced by artifact_file may be any YAML (multi-document, templated):
        # only a file that reads like a case must parse
        if re.search(r"^id\s*:", text, re.M) and re.search(r"^expected\s*:", text, re.M):
            raise CaseError(f"{path}: not valid YAML: {e}") from None
        return None
    if not looks_like_case(doc):
        return None
    try:
        case = Case.model_validate(doc)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "case"
        raise CaseError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from None
    return LoadedCase(case=case, path=path, data=_artifact_data(case, path, root))


def load_cases(*folders: Path | str) -> list[LoadedCase]:
    """Every case under the folders (recursively, sorted by path); ids must be unique."""
    cases: list[LoadedCase] = []
    for folder in folders:
        root = Path(folder).resolve()
        if not root.is_dir():
            raise CaseError(f"{folder}: not a folder of cases")
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
            loaded = load_case_file(path, root)
            if loaded is not None:
                cases.append(loaded)
    seen: dict[str, Path] = {}
    for c in cases:
        if c.id in seen:
            raise CaseError(f"case id {c.id!r} is used twice: {seen[c.id]} and {c.path}")
        seen[c.id] = c.path
    if not cases:
        raise CaseError(f"no cases found under {', '.join(map(str, folders))}")
    return cases


def dump_case(case: Case) -> str:
    """A case as YAML, with the artifact as a readable block."""
    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(case.model_dump(exclude_none=True, exclude_defaults=False), Dumper=_Dumper,
                     sort_keys=False, allow_unicode=True, width=120)
