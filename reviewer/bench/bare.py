"""The HTTP ceiling: a bare FastAPI app with the service's routes and pydantic request bodies
that answers constants, served like `reviewer serve` (see serving.py). Each route is the same
kind of endpoint as the service's: /healthz async, the POST routes plain `def` run on the
thread pool (the service's must be: they wait on the database lock). No middleware, no work,
so the gap to it is everything the service itself does per request.

Run: python -m reviewer.bench.bare  (prints "bare serving on http://127.0.0.1:PORT/")
"""

from __future__ import annotations

from fastapi import FastAPI

from reviewer.bench.serving import serve
from reviewer.schemas import ReviewRequest, SubmissionRequest

ACCEPTED = {"id": 1, "created_at": "2026-01-01T00:00:00.000+00:00",
            "artifacts": [{"artifact_id": 1, "artifact_type": "prompt", "state": "queued", "review_id": None,
                           "error": None}]}
REVIEW = {"id": 1, "level": 3, "level_name": "Structured prompting", "confidence": 0.7, "flags": []}


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "rubric": "bare", "judge": "rules"}

    @app.post("/api/submissions", status_code=202)
    def create_submission(body: SubmissionRequest) -> dict:
        return ACCEPTED

    @app.post("/api/reviews", status_code=201)
    def create_review(body: ReviewRequest) -> dict:
        return REVIEW

    return app


if __name__ == "__main__":
    serve(create_app(), "bare")
