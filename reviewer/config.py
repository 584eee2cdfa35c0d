"""Settings from REVIEWER_* environment variables and an optional YAML config file.

Precedence: explicit arguments (CLI options), then environment, then the config file
(REVIEWER_CONFIG, default ./reviewer.yaml when present), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from reviewer.flags import DEFAULT_POLICY
from reviewer.intake import DEFAULT_MAX_BYTES
from reviewer.rubric import DEFAULT_ROLES, DEFAULT_RUBRIC


class ConfigError(ValueError):
    """Settings that cannot be used; the message says which and why."""


def config_file() -> Path:
    return Path(os.environ.get("REVIEWER_CONFIG", "reviewer.yaml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REVIEWER_", extra="forbid")

    db: Path = Field(default=Path("data/reviewer.db"), description="the SQLite file")
    judge: Literal["rules"] = Field(default="rules", description="which judge scores artifacts")
    model: str | None = Field(default=None, description="model name for LLM judges (LiteLLM syntax)")
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0, description="largest accepted artifact")
    rubric: Path = Field(default=DEFAULT_RUBRIC, description="the rubric YAML file")
    roles: Path = Field(default=DEFAULT_ROLES, description="the role targets YAML file")
    flag_policy: Path = Field(default=DEFAULT_POLICY, description="the flag policy YAML file")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource):
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=config_file())


def load_settings(**overrides) -> Settings:
    """Settings with CLI overrides (None values are ignored); bad values raise ConfigError."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where!r} (REVIEWER_{where.upper()} or {config_file()}): {first['msg']}") from None
