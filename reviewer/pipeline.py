"""The scoring chain for one artifact: decode -> redact -> parse -> detect type -> judge -> feedback.

No I/O here: storing, and the flags that need stored history, are reviewer.service's business.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from pydantic import BaseModel

from reviewer.config import Settings
from reviewer.feedback import WrittenSummary, build_feedback, summary_facts
from reviewer.flags import FlagPolicy, load_policy
from reviewer.intake import decode_text, detect_type, parse_structured, requested_type
from reviewer.judges import llm as llm_judge
from reviewer.judges import rules
from reviewer.judges.llm import Once, Sample, sample_record
from reviewer.llm import LLMClient, LLMError, ModelConfig, ResponseCache
from reviewer.prompts import (
    FeedbackPrompt,
    JudgePrompt,
    load_feedback_prompt,
    load_judge_prompt,
)
from reviewer.redact import redact
from reviewer.rubric import Roles, Rubric, load_roles, load_rubric
from reviewer.schemas import Feedback, Judgement


@dataclass(frozen=True)
class LLMRuntime:
    """What LLM judging needs: the client (limits, cache, remembered modes), prompt and jury."""

    client: LLMClient
    prompt: JudgePrompt
    feedback_prompt: FeedbackPrompt
    jury: list[list[ModelConfig]]


@dataclass(frozen=True)
class Context:
    """What scoring needs, loaded once per process: settings, rubric, roles, flag policy, LLM runtime."""

    settings: Settings
    rubric: Rubric
    roles: Roles
    policy: FlagPolicy
    llm: LLMRuntime | None = None

    @property
    def judge_config(self) -> dict:
        s = self.settings
        config = {"judge": s.judge}
        if self.llm:
            config |= {"jury": [[m.name for m in chain] for chain in self.llm.jury], "samples": s.llm.samples,
                       "temperature": s.llm.temperature, "timeout": s.llm.timeout}
        return config


def load_context(settings: Settings, *, cache: bool | None = None) -> Context:
    """Load rubric, roles, policy and (for LLM judges) the client. `cache` overrides whether LLM
    responses are cached (evals cache; live reviews follow settings.cache_reviews)."""
    llm = None
    if settings.judge != "rules":
        use_cache = settings.cache_reviews if cache is None else cache
        options = settings.llm.model_copy(update={"cache": use_cache and settings.llm.cache})
        llm = LLMRuntime(client=LLMClient(options, ResponseCache(settings.llm_cache) if options.cache else None),
                         prompt=load_judge_prompt(), feedback_prompt=load_feedback_prompt(),
                         jury=settings.model_chains())
    return Context(settings=settings, rubric=load_rubric(settings.rubric), roles=load_roles(settings.roles),
                   policy=load_policy(settings.flag_policy), llm=llm)


def with_llm_concurrency(ctx: Context, concurrency: int) -> Context:
    """The context with its LLM client allowing `concurrency` calls in flight (a new client on the
    same cache: build it before scoring starts)."""
    if ctx.llm is None:
        return ctx
    s = ctx.settings
    options = ctx.llm.client.options.model_copy(update={"concurrency": concurrency})
    client = LLMClient(options, ctx.llm.client.cache)
    settings = s.model_copy(update={"llm": s.llm.model_copy(update={"concurrency": concurrency})})
    return replace(ctx, settings=settings, llm=replace(ctx.llm, client=client))


class PreparedArtifact(BaseModel):
    """An accepted artifact: redacted text (all that is ever stored) and what intake learned."""

    text: str
    artifact_type: str
    type_detected: bool
    fmt: str
    sha256_original: str
    size_bytes: int
    redactions: dict[str, int]


class Assessment(BaseModel):
    artifact: PreparedArtifact
    judgement: Judgement
    feedback: Feedback
    rules_judgement: Judgement
    samples: list[Sample] = []
    sample_levels: list[int] = []
    llm_error: str | None = None
    # why no LLM answer: unavailable | context_window | refused | invalid_answer | error
    llm_failure: str | None = None
    # what the LLM judge read instead of a too-long artifact:
    # {model, window_tokens, artifact_tokens, sent_tokens, spans: [[start, end], ...] into artifact.text}
    excerpt: dict | None = None
    models: list[str] = []
    prompt_hashes: dict[str, str] = {}

    @property
    def judge_levels(self) -> dict[str, int]:
        return {} if self.judgement.judge == rules.NAME else {self.judgement.judge: self.judgement.level,
                                                               rules.NAME: self.rules_judgement.level}


def prepare(data: bytes | str, type_hint: str | None, max_bytes: int) -> tuple[PreparedArtifact, object]:
    """Decode, redact and parse one artifact; returns it with its parsed tree (or None)."""
    chosen = requested_type(type_hint)
    text = decode_text(data, max_bytes)
    original = data.encode("utf-8") if isinstance(data, str) else data
    redacted = redact(text)
    fmt, tree = parse_structured(redacted.text)
    artifact = PreparedArtifact(
        text=redacted.text,
        artifact_type=chosen or detect_type(redacted.text, fmt, tree),
        type_detected=chosen is None,
        fmt=fmt,
        sha256_original=hashlib.sha256(original).hexdigest(),
        size_bytes=len(original),
        redactions=redacted.counts,
    )
    return artifact, tree


def assess_prepared(artifact: PreparedArtifact, tree: object, role_key: str | None, ctx: Context) -> Assessment:
    """Judge one prepared artifact. The rules judge always runs; with an LLM judge configured it
    is the cross-check, and the fallback when no model gives a usable answer (flagged
    llm_unavailable when none answered, llm_failed naming the cause otherwise)."""
    role = ctx.roles.require(role_key)
    cross_check = Once(lambda: rules.judge(artifact.text, tree, ctx.rubric, artifact.artifact_type))
    extra: dict = {}
    llm_judgement = None
    if ctx.llm is not None:
        s = ctx.settings
        outcome = llm_judge.judge(artifact.text, artifact.artifact_type, role_key, role, ctx.rubric, cross_check,
                                  client=ctx.llm.client, prompt=ctx.llm.prompt, jury=ctx.llm.jury,
                                  samples=s.llm.samples, temperature=s.llm.temperature)
        extra = {"samples": outcome.samples, "sample_levels": outcome.sample_levels, "llm_error": outcome.error,
                 "llm_failure": outcome.failure, "excerpt": outcome.excerpt, "models": outcome.models,
                 "prompt_hashes": {ctx.llm.prompt.id: ctx.llm.prompt.content_hash}}
        if outcome.judgement is not None:
            llm_judgement = outcome.judgement.model_copy(update={"judge": s.judge})
    rules_judgement = cross_check()
    judgement = llm_judgement or rules_judgement
    feedback = build_feedback(judgement, ctx.rubric, role_key, role)
    if ctx.llm is not None and judgement.judge != rules.NAME:
        feedback, sample = written_feedback(feedback, ctx.llm, s.llm.temperature)
        extra["samples"] = extra["samples"] + [sample]
        extra["prompt_hashes"][ctx.llm.feedback_prompt.id] = ctx.llm.feedback_prompt.content_hash
    return Assessment(artifact=artifact, judgement=judgement, rules_judgement=rules_judgement,
                      feedback=feedback, **extra)


def written_feedback(feedback: Feedback, llm: LLMRuntime, temperature: float) -> tuple[Feedback, Sample]:
    """The feedback with its summary written by the first jury model; the rubric's wording stays
    when the model gives no usable answer."""
    model = llm.jury[0][0]
    p = llm.feedback_prompt
    try:
        written, completions = llm.client.ask(model, p.messages(summary_facts(feedback)), WrittenSummary, p.repair,
                                              sample_index=0, temperature=temperature)
    except LLMError as e:
        return feedback, sample_record(model.name, 0, [], None, error=str(e), judge="feedback")
    sample = sample_record(model.name, 0, completions, written, judge="feedback")
    return feedback.model_copy(update={"summary": written.summary.strip()[:1200] or feedback.summary}), sample


def assess(data: bytes | str, type_hint: str | None, role_key: str | None, ctx: Context) -> Assessment:
    """Score one artifact end to end (nothing stored)."""
    ctx.roles.require(role_key)
    artifact, tree = prepare(data, type_hint, ctx.settings.max_bytes)
    return assess_prepared(artifact, tree, role_key, ctx)
