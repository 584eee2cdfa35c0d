"""`reviewer models check`: one small structured request per model."""

from __future__ import annotations

from pydantic import BaseModel, Field

from reviewer.llm import LLMClient, ModelConfig

PING = [{"role": "system", "content": "You answer with one JSON object that matches the schema."},
        {"role": "user", "content": "Return the level of this prompt on a 1-6 scale: 'write me an email'."}]
REPAIR = "Your previous answer could not be used: {error}. Reply with the JSON object only."


class Ping(BaseModel):
    level: int = Field(ge=1, le=6)


class CheckResult(BaseModel):
    latency_ms: float
    mode: str
    tokens: int
    window_tokens: int | None = None  # the context window artifacts are fitted to (None: unknown, no limit)


def check_model(client: LLMClient, model: ModelConfig) -> CheckResult:
    """Raises LLMError when the model gives no valid answer."""
    _, completions = client.ask(model, PING, Ping, REPAIR, sample_index=0, temperature=0.0)
    return CheckResult(latency_ms=sum(c.latency_ms for c in completions), mode=completions[-1].mode,
                       tokens=sum(c.tokens_in + c.tokens_out for c in completions), window_tokens=client.window(model))
