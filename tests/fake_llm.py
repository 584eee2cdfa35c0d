"""An OpenAI-compatible chat server on loopback with scripted faults: the only fake in the tests."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Reply:
    """One scripted behaviour. kind: ok | status | slow | text."""

    kind: str = "ok"
    status: int = 200
    retry_after: float | None = None
    seconds: float = 0.0
    content: str | None = None
    answer: dict | None = None
    level: int = 3


@dataclass
class FakeLLM:
    script: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=Reply)
    reject_json_schema: bool = False
    delay: float = 0.0  # seconds before answering any request (judge or feedback), like a real server's latency
    context_window: int | None = None  # refuse longer requests as OpenAI does (tokens estimated as characters / 4)
    requests: list[dict] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests this server was answering at once
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def judge_requests(self) -> list[dict]:
        """Requests of the judge prompt (the feedback prompt's requests left out)."""
        return [r for r in self.requests if not is_feedback(r)]

    def next_reply(self) -> Reply:
        with self.lock:
            return self.script.pop(0) if self.script else self.default


def is_feedback(body: dict) -> bool:
    return body["messages"][0]["content"].startswith("You write short, specific feedback")


def artifact_of(body: dict) -> str:
    """The fenced artifact in the judge prompt (the text between the two boundary lines)."""
    user = body["messages"][1]["content"] if len(body["messages"]) > 1 else ""
    m = re.search(r"^(=====ARTIFACT-\w+=====)\n(.*)\n\1$", user, re.S | re.M)
    return m.group(2) if m else ""


def default_answer(body: dict, level: int) -> dict:
    text = artifact_of(body)
    quote = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return {"dimensions": [{"dimension": "framing", "evidence": [quote[:80]] if quote else [],
                            "rationale": "states the task", "score": min(level, 6)}],
            "rationale": f"scripted level {level}", "level": level, "confidence": 0.8,
            "injection_suspected": "ignore" in text.lower() and "rubric" in text.lower()}


def estimated_tokens(body: dict) -> int:
    """The request's size as the fake's context window counts it: prompt characters / 4, plus
    the completion tokens asked for."""
    return sum(len(m.get("content") or "") for m in body["messages"]) // 4 + (body.get("max_tokens") or 0)


def completion(content: str, model: str) -> dict:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}}


def create_app(fake: FakeLLM) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        with fake.lock:
            fake.requests.append(body)
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            if fake.delay:
                await asyncio.sleep(fake.delay)
            return await respond(body)
        finally:
            with fake.lock:
                fake.in_flight -= 1

    async def respond(body: dict):
        size = estimated_tokens(body)
        if fake.context_window and size > fake.context_window:
            return JSONResponse({"error": {"message": f"This model's maximum context length is {fake.context_window} "
                                                      f"tokens. However, you requested {size} tokens. Please reduce "
                                                      "the length of the messages.",
                                           "type": "invalid_request_error", "code": "context_length_exceeded"}},
                                status_code=400)
        fmt = (body.get("response_format") or {}).get("type")
        if fake.reject_json_schema and fmt == "json_schema":
            return JSONResponse({"error": {"message": "json_schema is not supported"}}, status_code=500)
        if is_feedback(body):
            facts = json.loads(body["messages"][1]["content"].split("\n", 1)[1])
            return completion(json.dumps({"summary": f"Written: level {facts['level']} against target "
                                                     f"{facts['target']}."}), body.get("model", "fake"))
        reply = fake.next_reply()
        if reply.kind == "status":
            headers = {"retry-after": str(reply.retry_after)} if reply.retry_after is not None else {}
            return JSONResponse({"error": {"message": f"scripted {reply.status}", "type": "server_error"}},
                                status_code=reply.status, headers=headers)
        if reply.kind == "slow":
            await asyncio.sleep(reply.seconds)
        if reply.kind == "text":
            return completion(reply.content or "", body.get("model", "fake"))
        answer = reply.answer or default_answer(body, reply.level)
        return completion(json.dumps(answer), body.get("model", "fake"))

    return app
