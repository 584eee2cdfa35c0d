"""Calling LLMs through LiteLLM: structured JSON answers, retries, limits, fallbacks, a cache.

- Structured output: `response_format` as a JSON schema; when a server rejects that, the
  schema as `{"type": "json_object", "schema": ...}`, then plain text with JSON extracted.
  What works is remembered per model.
- Transient failures (429, 5xx, timeouts, connection errors) are retried by tenacity with
  exponential backoff and jitter, never sooner than a Retry-After header asks.
- Invalid answers are asked again with the validation error fed back.
- A global concurrency limit and a requests-per-minute limit per model.
- Responses are cached in SQLite keyed by model, messages, parameters and sample index.

LiteLLM is imported on first use only: it costs seconds and the offline path never needs it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import TypeVar

import sqlite_utils
from pydantic import BaseModel, Field, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

# Without this LiteLLM fetches a price map over the network at import and stalls offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

MODES = ("json_schema", "json_object", "text")
TRANSIENT_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}
T = TypeVar("T", bound=BaseModel)


class ModelConfig(BaseModel):
    """One model LiteLLM can call. Secrets come only from the environment (`api_key_env`)."""

    name: str = Field(description="LiteLLM model string, e.g. openai/gpt-4o-mini or openai/local")
    api_base: str | None = None
    api_key_env: str | None = Field(default=None, description="environment variable holding the API key")
    rpm: int | None = Field(default=None, gt=0, description="requests per minute allowed for this model")

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class LLMOptions(BaseModel):
    samples: int = Field(default=3, ge=1, le=20, description="samples per model (self-consistency)")
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=2000, gt=0)
    timeout: float = Field(default=60, gt=0, description="seconds per call")
    attempts: int = Field(default=4, ge=1, description="tries per call on transient errors")
    repairs: int = Field(default=2, ge=0, description="re-asks after an invalid answer")
    backoff_initial: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)
    concurrency: int = Field(default=4, ge=1, description="LLM calls in flight at once, all models together")
    cache: bool = True


class Completion(BaseModel):
    """One answer from one model, with what it cost."""

    model: str
    text: str
    mode: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    cached: bool = False


class LLMError(Exception):
    """A model could not give a usable answer (after retries and repairs)."""


class ModeRejected(Exception):
    """The server refused this structured-output mode."""


def extract_json(text: str) -> str:
    """The first JSON object in a reply (code fences and chatter around it are dropped)."""
    start = text.find("{")
    if start < 0:
        raise ValueError("the reply holds no JSON object")
    obj, _ = json.JSONDecoder(strict=False).raw_decode(text[start:])  # small models leave raw newlines in strings
    return json.dumps(obj)


def status_of(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)


def retry_after(exc: BaseException) -> float:
    """Seconds a Retry-After header asks for (0 when none)."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or getattr(exc, "litellm_response_headers", None)
    try:
        return max(0.0, float((headers or {}).get("retry-after", 0)))
    except (TypeError, ValueError):
        return 0.0


def is_transient(exc: BaseException) -> bool:
    import litellm

    if isinstance(exc, (litellm.Timeout, litellm.APIConnectionError, litellm.RateLimitError,
                        litellm.InternalServerError, litellm.ServiceUnavailableError)):
        return True
    return status_of(exc) in TRANSIENT_STATUS


class RateLimiter:
    """At most `rpm` calls in any 60 seconds (thread-safe)."""

    def __init__(self, rpm: int):
        self.rpm, self.calls, self.lock = rpm, deque(), threading.Lock()

    def wait(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                while self.calls and now - self.calls[0] >= 60:
                    self.calls.popleft()
                if len(self.calls) < self.rpm:
                    self.calls.append(now)
                    return
                pause = 60 - (now - self.calls[0])
            time.sleep(pause)


class ResponseCache:
    """Completions in SQLite, keyed by model, messages, parameters and sample index."""

    def __init__(self, path: Path | str):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
        self.lock = threading.Lock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db["responses"].create({"key": str, "model": str, "completion": str, "created_at": str},
                                        pk="key", if_not_exists=True)

    @staticmethod
    def key(model: str, messages: list[dict], params: dict, sample_index: int) -> str:
        blob = json.dumps({"model": model, "messages": messages, "params": params, "sample": sample_index},
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> Completion | None:
        with self.lock:
            row = self.db.execute("SELECT completion FROM responses WHERE key = ?", [key]).fetchone()
        return Completion.model_validate_json(row[0]).model_copy(update={"cached": True}) if row else None

    def put(self, key: str, completion: Completion) -> None:
        with self.lock:
            self.db["responses"].insert({"key": key, "model": completion.model, "completion": completion.model_dump_json(),
                                         "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                                        replace=True)
            self.db.conn.commit()


class LLMClient:
    def __init__(self, options: LLMOptions, cache: ResponseCache | None = None):
        self.options = options
        self.cache = cache if options.cache else None
        self.slots = threading.BoundedSemaphore(options.concurrency)
        self.modes: dict[str, str] = {}
        self.limiters: dict[str, RateLimiter] = {}
        self.lock = threading.Lock()
        self.calls = 0  # requests actually sent (cache hits excluded)

    def _response_format(self, mode: str, schema: dict) -> dict | None:
        if mode == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": False}}
        if mode == "json_object":
            return {"type": "json_object", "schema": schema}
        return None

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_exponential_jitter(multiplier=self.options.backoff_initial, max=self.options.backoff_max,
                                          jitter=self.options.backoff_initial)(state)
        exc = state.outcome.exception() if state.outcome else None
        return max(backoff, retry_after(exc) if exc else 0.0)

    def _send(self, model: ModelConfig, messages: list[dict], mode: str, schema: dict, temperature: float) -> Completion:
        """One request (with transient retries) in one mode."""
        import litellm

        litellm.suppress_debug_info = True  # its help banner would land in --json output

        kwargs = dict(model=model.name, messages=messages, temperature=temperature,
                      max_tokens=self.options.max_tokens, timeout=self.options.timeout, max_retries=0)
        if model.api_base:
            kwargs["api_base"] = model.api_base
        key = model.api_key() or ("no-key" if model.api_base else None)  # local servers take any key
        if key:
            kwargs["api_key"] = key
        fmt = self._response_format(mode, schema)
        if fmt:
            kwargs["response_format"] = fmt
        limiter = self.limiters.setdefault(model.name, RateLimiter(model.rpm)) if model.rpm else None

        def attempt():
            if limiter:
                limiter.wait()
            with self.slots:
                with self.lock:
                    self.calls += 1
                started = time.perf_counter()
                try:
                    resp = litellm.completion(**kwargs)
                except Exception as exc:
                    # a server that refuses a structured-output mode answers 4xx/500 at once
                    if mode != "text" and status_of(exc) in (400, 422, 500) and not isinstance(exc, litellm.Timeout):
                        raise ModeRejected(str(exc)) from exc
                    raise
                latency = (time.perf_counter() - started) * 1000
            usage = getattr(resp, "usage", None)
            try:
                cost = float(litellm.completion_cost(completion_response=resp) or 0.0)
            except Exception:  # models missing from the price map (local servers) cost nothing known
                cost = 0.0
            return Completion(model=model.name, text=resp.choices[0].message.content or "", mode=mode,
                              tokens_in=getattr(usage, "prompt_tokens", 0) or 0,
                              tokens_out=getattr(usage, "completion_tokens", 0) or 0,
                              cost_usd=cost, latency_ms=round(latency, 1))

        retrying = Retrying(stop=stop_after_attempt(self.options.attempts), wait=self._wait, reraise=True,
                            retry=retry_if_exception(lambda e: not isinstance(e, ModeRejected) and is_transient(e)))
        return retrying(attempt)

    def complete(self, model: ModelConfig, messages: list[dict], schema: dict, *, sample_index: int,
                 temperature: float) -> Completion:
        """A reply in the best structured-output mode the model accepts (cached)."""
        params = {"temperature": temperature, "max_tokens": self.options.max_tokens, "schema": schema}
        key = ResponseCache.key(model.name, messages, params, sample_index)
        if self.cache and (hit := self.cache.get(key)):
            return hit
        start = MODES.index(self.modes.get(model.name, MODES[0]))
        for mode in MODES[start:]:
            try:
                completion = self._send(model, messages, mode, schema, temperature)
            except ModeRejected:
                continue
            self.modes[model.name] = mode
            if self.cache:
                self.cache.put(key, completion)
            return completion
        raise LLMError(f"{model.name}: every structured-output mode was refused")

    def ask(self, model: ModelConfig, messages: list[dict], answer: type[T], repair: str, *, sample_index: int,
            temperature: float) -> tuple[T, list[Completion]]:
        """A validated answer, re-asking with the validation error until `repairs` run out.
        Returns the answer and every completion it took."""
        schema = answer.model_json_schema()
        taken: list[Completion] = []
        convo = list(messages)
        for _ in range(self.options.repairs + 1):
            try:
                completion = self.complete(model, convo, schema, sample_index=sample_index, temperature=temperature)
            except LLMError:
                raise
            except Exception as exc:
                raise LLMError(f"{model.name}: {type(exc).__name__}: {str(exc)[:300]}") from exc
            taken.append(completion)
            try:
                return answer.model_validate_json(extract_json(completion.text)), taken
            except (ValueError, ValidationError) as exc:
                error = str(exc).splitlines()[0] if isinstance(exc, ValueError) and not isinstance(exc, ValidationError) \
                    else "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
                convo = convo + [{"role": "assistant", "content": completion.text[:4000]},
                                 {"role": "user", "content": repair.format(error=error)}]
        raise LLMError(f"{model.name}: no valid answer after {self.options.repairs + 1} tries (last: {error})")
