"""Settings from REVIEWER_* environment variables and an optional YAML config file.

Precedence: explicit arguments (CLI options), then environment, then the config file
(REVIEWER_CONFIG, default ./reviewer.yaml when present), then the defaults below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from reviewer.flags import DEFAULT_POLICY
from reviewer.intake import DEFAULT_MAX_BYTES
from reviewer.llm import LLMOptions, ModelConfig
from reviewer.rubric import DEFAULT_ROLES, DEFAULT_RUBRIC


class ConfigError(ValueError):
    """Settings that cannot be used; the message says which and why."""


def config_file() -> Path:
    return Path(os.environ.get("REVIEWER_CONFIG", "reviewer.yaml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVIEWER_", env_nested_delimiter="__", extra="forbid")

    db: Path = Field(default=Path("data/reviewer.db"), description="the SQLite file")
    judge: Literal["rules", "llm", "jury"] = Field(default="rules", description="which judge scores artifacts")
    model: str | None = Field(default=None, description="primary model for the llm judge (LiteLLM syntax)")
    api_base: str | None = Field(default=None, description="API base URL for the primary model")
    models: list[ModelConfig] = Field(default_factory=list,
                                      description="known models with api_base / api_key_env; fallbacks in this order")
    jury: list[str] = Field(default_factory=list, description="model names that judge together (judge=jury)")
    llm: LLMOptions = Field(default_factory=LLMOptions)
    llm_cache: Path = Field(default=Path("data/llm-cache.db"), description="SQLite file of cached LLM responses")
    cache_reviews: bool = Field(default=False, description="also cache LLM responses for live reviews (evals always do)")
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0, description="largest accepted artifact")
    rubric: Path = Field(default=DEFAULT_RUBRIC, description="the rubric YAML file")
    roles: Path = Field(default=DEFAULT_ROLES, description="the role targets YAML file")
    flag_policy: Path = Field(default=DEFAULT_POLICY, description="the flag policy YAML file")
    session_secret: str | None = Field(default=None, description="key that signs session cookies; "
                                       "made once and kept beside the database when not set")
    auto_release: bool = Field(default=False, description="show unflagged (auto_ok) reviews to employees "
                                                           "without waiting for a coach")
    trusted_header: str | None = Field(default=None, description="behind a company SSO proxy only: the request "
                                       "header holding the signed-in user's email (e.g. X-Forwarded-Email); off when unset")
    workers: int = Field(default=1, ge=0, le=32, description="scoring worker processes `serve` starts "
                         "(0: none; run `reviewer worker` yourself)")
    busy_timeout: float = Field(default=5.0, gt=0, description="seconds a write waits for the database lock "
                                "before the request answers 503 with Retry-After")
    db_sync: Literal["normal", "full"] = Field(default="normal", description="normal: a stored write survives "
                                               "any crash of the service; full: also an OS crash or power loss "
                                               "(an fsync per write)")
    job_lease: float = Field(default=60.0, gt=0, description="seconds a worker holds a job without renewing "
                             "its lease; a dead worker's job is taken again after this")
    job_timeout: float = Field(default=300.0, gt=0, description="seconds one artifact may take to score "
                               "before its job records an error")
    job_retry_max_wait: float = Field(default=60.0, gt=0, description="longest pause, in seconds, before a "
                                      "failed job is tried again (pauses double from 2 s up to this)")
    llm_wait: float = Field(default=900.0, ge=0, description="seconds a queued review waits (retrying with "
                            "backoff) for a model to answer before the rules judge scores it, flagged llm_unavailable")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource):
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=config_file())


    def model_chains(self) -> list[list[ModelConfig]]:
        """Jury members, each a list: the model first, then its fallbacks (llm judge only)."""
        known = {m.name: m for m in self.models}

        def config(name: str, primary: bool) -> ModelConfig:
            m = known.get(name) or ModelConfig(name=name)
            return m.model_copy(update={"api_base": self.api_base}) if primary and self.api_base else m

        if self.judge == "jury":
            return [[config(name, True)] for name in self.jury]
        primary = self.model or (self.models[0].name if self.models else None)
        if primary is None:
            return []
        return [[config(primary, True)] + [m for m in self.models if m.name != primary]]


def load_settings(**overrides) -> Settings:
    """Settings with CLI overrides (None values are ignored); bad values raise ConfigError."""
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where!r} (REVIEWER_{where.upper()} or {config_file()}): {first['msg']}") from None
    if settings.judge != "rules" and not settings.model_chains():
        raise ConfigError(f"judge {settings.judge!r} needs a model: set REVIEWER_MODEL (or --model), "
                          f"`models:` in {config_file()}" + (", and `jury:` for a jury" if settings.judge == "jury" else ""))
    return settings


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that give a child process (a worker) exactly these settings: every
    REVIEWER_* variable of this process replaced, the config file switched off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    for name, value in settings.model_dump(mode="json", exclude={"session_secret"}).items():
        if value is not None:
            env[f"REVIEWER_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    env["REVIEWER_CONFIG"] = os.devnull
    return env
