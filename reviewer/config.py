"""Settings from REVIEWER_* environment variables and an optional YAML config file.

Precedence: explicit arguments (CLI options), then environment, then the config file
(REVIEWER_CONFIG, default ./reviewer.yaml when present), then the defaults below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import yaml
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


DEFAULT_DB = Path("data/reviewer.db")


class ConfigError(ValueError):
    """Settings that cannot be used; the message says which and why."""


def config_file() -> Path:
    return Path(os.environ.get("REVIEWER_CONFIG", "reviewer.yaml"))


def check_config_file() -> None:
    """The config file REVIEWER_CONFIG names must exist (the default ./reviewer.yaml is optional)
    and be a readable YAML mapping; ConfigError says what is wrong."""
    path = config_file()
    if not path.exists():
        if "REVIEWER_CONFIG" in os.environ:
            raise ConfigError(f"config file {path} (REVIEWER_CONFIG) does not exist; fix REVIEWER_CONFIG or unset it")
        return
    if path.is_dir():
        raise ConfigError(f"config file {path} is a directory; point REVIEWER_CONFIG at a YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"config file {path}: cannot read: {e.strerror}; fix its permissions or point "
                          f"REVIEWER_CONFIG elsewhere") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text; point REVIEWER_CONFIG at a YAML file") from None
    except yaml.YAMLError as e:
        raise ConfigError(_yaml_problem(path, e)) from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"config file {path} holds a {type(data).__name__}, not settings; write one "
                          f"`name: value` line per setting (e.g. `db: data/reviewer.db`)")


def _yaml_problem(path: Path, e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    return f"config file {path} is not valid YAML{where}: {problem}; fix the file or point REVIEWER_CONFIG elsewhere"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVIEWER_", env_nested_delimiter="__", extra="forbid")

    db: Path = Field(default=DEFAULT_DB, description="the SQLite file")
    db_create: bool = Field(default=False, description="create the database when `db` names a file that does not "
                            "exist yet (the default data/reviewer.db is always created); off, a mistyped path is refused")
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
    https_only: bool = Field(default=False, description="mark cookies Secure even when the request did not "
                             "arrive over HTTPS (behind a TLS-terminating proxy that does not say so)")
    docs: bool = Field(default=False, description="serve the interactive API docs at /docs (Swagger UI, from "
                       "the installed fastapi-offline package); /openapi.json is always served")
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

    def may_create_db(self) -> bool:
        """Whether a missing database file may be made: the default one always, another only
        when asked (REVIEWER_DB_CREATE=1), so a mistyped path is refused, not made anew."""
        return self.db_create or Path(os.path.abspath(self.db)) == Path(os.path.abspath(DEFAULT_DB))

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
    """Settings with CLI overrides (None values are ignored); bad values, and a config file that is
    missing (when REVIEWER_CONFIG names it), unreadable or not YAML, raise ConfigError."""
    check_config_file()
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"unknown setting {where!r} in {config_file()} (or REVIEWER_{where.upper().replace('.', '__')}); "
                              f"remove it or fix its spelling") from None
        raise ConfigError(f"setting {where!r} (REVIEWER_{where.upper()} or {config_file()}): {first['msg']}") from None
    except yaml.YAMLError as e:  # the file changed since check_config_file read it
        raise ConfigError(_yaml_problem(config_file(), e)) from None
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
