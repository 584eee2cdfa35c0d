"""Calling LLMs through LiteLLM: structured JSON answers, retries, limits, fallbacks, a cache.

- Structured output: `response_format` as a JSON schema; when a server rejects that, the
  schema as `{"type": "json_object", "schema": ...}`, then plain text with JSON extracted.
  What works is remembered per model.
- Transient failures (429, 5xx, timeouts, connection errors) are retried by tenacity with
  exponential backoff and jitter, never sooner than a Retry-After header asks.
- Invalid answers are asked again with the validation error fed back.
- A global concurrency limit and a requests-per-minute limit per model.
- Responses are cached in SQLite keyed by model, messages, parameters and sample index.
- Each model's context window (configured, else LiteLLM's model info) and token counts, so
  callers can fit long inputs; a provider's context-window refusal is its own error.
- Every failure says what kind it is: `unavailable` (no answer: connection errors, timeouts,
  429/5xx after retries) or an answer that could not be used (`context_window`, `refused`,
  `invalid_answer`, `error`).

LiteLLM is imported on first use only: it costs seconds and the offline path never needs it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

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
    max_input_tokens: int | None = Field(default=None, gt=0, description="context window in tokens; "
                                         "overrides LiteLLM's model info (unknown: no limit)")

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
    """A model could not give a usable answer (after retries and repairs). `kind` names why:
    unavailable | context_window | refused | invalid_answer | error."""

    def __init__(self, message: str, kind: str = "error"):
        super().__init__(message)
        self.kind = kind


class ContextWindowExceeded(LLMError):
    """The provider refused the request as longer than the model's context window; `window` is
    the limit its message names (None when it names none)."""

    def __init__(self, message: str, window: int | None):
        super().__init__(message, kind="context_window")
        self.window = window


# "maximum context length is 8192 tokens" (OpenAI, vLLM), "available context size (8192 tokens)" (llama.cpp)
WINDOW_IN_MESSAGE = re.compile(r"(?:context length is|context size \(|context window of)\s*(\d[\d,]*)", re.I)


def window_in_message(message: str) -> int | None:
    m = WINDOW_IN_MESSAGE.search(message)
    return int(m.group(1).replace(",", "")) if m else None


class ModeRejected(Exception):
    """The server refused this structured-output mode."""


def extract_json(text: str) -> str:
    """The first JSON object in a reply (code fences and chatter around it are dropped)."""
    start = text.find("{")
    if start < 0:
        raise ValueError("the reply holds no JSON object")
    obj, _ = json.JSONDecoder(strict=False).raw_decode(text[start:])  # small models leave raw newlines in strings
    return json.dumps(obj)


@functools.cache
def schema_of(answer: type[BaseModel]) -> dict:
    """The answer type's JSON schema (built once: pydantic rebuilds it on every call)."""
    return answer.model_json_schema()


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
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        with self.lock:
            self.conn.execute("PRAGMA journal_mode = WAL")
            # no fsync per commit: a cache may lose its last answers to a power cut, and every
            # concurrent call waits on this lock while one commits
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, "
                              "completion TEXT, created_at TEXT)")

    @staticmethod
    def key(model: str, messages: list[dict], params: dict, sample_index: int) -> str:
        blob = json.dumps({"model": model, "messages": messages, "params": params, "sample": sample_index},
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> Completion | None:
        with self.lock:
            row = self.conn.execute("SELECT completion FROM responses WHERE key = ?", [key]).fetchone()
        return Completion.model_validate_json(row[0]).model_copy(update={"cached": True}) if row else None

    def put(self, key: str, completion: Completion) -> None:
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO responses (key, model, completion, created_at) VALUES (?, ?, ?, ?)",
                              [key, completion.model, completion.model_dump_json(),
                               time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())])


class LLMClient:
    def __init__(self, options: LLMOptions, cache: ResponseCache | None = None):
        self.options = options
        self.cache = cache if options.cache else None
        self.slots = threading.BoundedSemaphore(options.concurrency)
        self.modes: dict[str, str] = {}
        self.limiters: dict[str, RateLimiter] = {}
        self.lock = threading.Lock()
        self.calls = 0  # requests actually sent (cache hits excluded)
        self.windows: dict[str, int | None] = {}
        # Long-lived threads for concurrent asks (samples, jury members): starting threads per
        # review costs a GIL round trip each. Twice the slots, so a call is ready when one frees.
        self.workers = ThreadPoolExecutor(max_workers=2 * options.concurrency, thread_name_prefix="llm")

    def warm_up(self, models: list[ModelConfig]) -> None:
        """Load LiteLLM, what it loads on a first call, and these models' windows now, so none
        of it lands inside a timed run (nor do a first wave of calls queue on the import lock)."""
        import httpcore  # noqa: F401  (httpx loads it when LiteLLM makes its first HTTP client)
        import litellm

        for model in models:
            self.window(model)
            try:  # a mock answer runs LiteLLM's request path and its lazy imports without a request
                litellm.completion(**self._kwargs(model, [{"role": "user", "content": "ping"}], MODES[0], {}, 0.0),
                                   mock_response="{}")
            except Exception:  # noqa: BLE001  an unusable model fails in the run, where its error is recorded
                pass

    def window(self, model: ModelConfig) -> int | None:
        """The model's context window in tokens: the configured one, else LiteLLM's model info;
        None when neither knows it."""
        if model.max_input_tokens:
            return model.max_input_tokens
        if model.name not in self.windows:
            import litellm

            try:
                info = litellm.get_model_info(model.name)
                self.windows[model.name] = info.get("max_input_tokens")
            except Exception:  # not in LiteLLM's map (local servers, new models)
                self.windows[model.name] = None
        return self.windows[model.name]

    @staticmethod
    def count_tokens(model: ModelConfig, *, text: str | None = None, messages: list[dict] | None = None) -> int:
        """Tokens by the model's tokenizer when LiteLLM has it, else an OpenAI one (an estimate)."""
        import litellm

        return litellm.token_counter(model=model.name, text=text, messages=messages)

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

    def _kwargs(self, model: ModelConfig, messages: list[dict], mode: str, schema: dict, temperature: float) -> dict:
        """LiteLLM's arguments for one request."""
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
        return kwargs

    def _send(self, model: ModelConfig, messages: list[dict], mode: str, schema: dict, temperature: float) -> Completion:
        """One request (with transient retries) in one mode."""
        import litellm

        kwargs = self._kwargs(model, messages, mode, schema, temperature)
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
                except litellm.ContextWindowExceededError as exc:  # a 400 too, but no mode would help
                    raise ContextWindowExceeded(f"{model.name}: the input exceeds its context window "
                                                f"({str(exc)[:200]})", window_in_message(str(exc))) from exc
                except Exception as exc:
                    # a server that refuses a structured-output mode answers 4xx/500 at once
                    if mode != "text" and status_of(exc) in (400, 422, 500) and not isinstance(exc, litellm.Timeout):
                        raise ModeRejected(str(exc)) from exc
                    raise
                latency = (time.perf_counter() - started) * 1000
            usage = getattr(resp, "usage", None)
            # LiteLLM prices every response as it arrives (None for models missing from its price map)
            cost = float((getattr(resp, "_hidden_params", None) or {}).get("response_cost") or 0.0)
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
        raise LLMError(f"{model.name}: every structured-output mode was refused", kind="refused")

    def ask(self, model: ModelConfig, messages: list[dict], answer: type[T], repair: str, *, sample_index: int,
            temperature: float) -> tuple[T, list[Completion]]:
        """A validated answer, re-asking with the validation error until `repairs` run out.
        Returns the answer and every completion it took."""
        schema = schema_of(answer)
        taken: list[Completion] = []
        convo = list(messages)
        for _ in range(self.options.repairs + 1):
            try:
                completion = self.complete(model, convo, schema, sample_index=sample_index, temperature=temperature)
            except LLMError:
                raise
            except Exception as exc:
                raise LLMError(f"{model.name}: {type(exc).__name__}: {str(exc)[:300]}",
                               kind="unavailable" if is_transient(exc) else "error") from exc
            taken.append(completion)
            try:
                return answer.model_validate_json(extract_json(completion.text)), taken
            except (ValueError, ValidationError) as exc:
                error = str(exc).splitlines()[0] if isinstance(exc, ValueError) and not isinstance(exc, ValidationError) \
                    else "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
                convo = convo + [{"role": "assistant", "content": completion.text[:4000]},
                                 {"role": "user", "content": repair.format(error=error)}]
        raise LLMError(f"{model.name}: no valid answer after {self.options.repairs + 1} tries (last: {error})",
                       kind="invalid_answer")
