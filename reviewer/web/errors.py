"""Bad input gets a clear 4xx message, never a stack trace: JSON for the API, an HTML page with
navigation for the pages people use."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reviewer.intake import IntakeError
from reviewer.rubric import RubricError
from reviewer.service import IdempotencyConflict, NotFound
from reviewer.store import StoreBusy
from reviewer.web.dependencies import borrowed_store
from reviewer.web.render import render
from reviewer.web.sessions import session_of

log = logging.getLogger("reviewer")
RETRY_AFTER = 2  # seconds a client is asked to wait after a 503


def describe_validation(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    for e in errors:
        if e.get("type") == "json_invalid":
            ctx = e.get("ctx") or {}
            return 400, f"request body is not valid JSON ({ctx.get('error', 'parse error')})"
    if errors and all(e.get("loc", ("",))[0] == "path" for e in errors):
        return 404, "no such " + str(errors[0]["loc"][-1]).removesuffix("_id")  # an id that cannot exist
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg')}")
    return 422, "; ".join(parts)


TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed here", 409: "Conflict",
          413: "Too large", 422: "Cannot use that", 429: "Too many attempts", 503: "Busy"}


def answer(request: Request, status: int, detail: str, headers: dict | None = None):
    """The refusal as JSON for API clients, as a page with navigation for people."""
    if request.url.path.startswith(("/api/", "/openapi.json", "/healthz")):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    response = render(request, "error.html", status_code=status, title=TITLES.get(status, "Something went wrong"),
                      detail=detail, user=_signed_in(request))
    response.headers.update(headers or {})
    return response


def _signed_in(request: Request) -> dict | None:
    """The session's user for the page's navigation (looked up here when no route did)."""
    if hasattr(request.state, "session_user"):
        return request.state.session_user
    with borrowed_store(request.app) as store:
        return session_of(request, store)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return answer(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        status, message = describe_validation(exc)
        return answer(request, status, message)

    @app.exception_handler(IntakeError)
    @app.exception_handler(RubricError)
    async def _bad_input(request: Request, exc: ValueError):
        return answer(request, 422, str(exc))

    @app.exception_handler(IdempotencyConflict)
    async def _key_conflict(request: Request, exc: IdempotencyConflict):
        return answer(request, 409, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return answer(request, 404, str(exc))

    @app.exception_handler(StoreBusy)
    async def _busy(request: Request, exc: StoreBusy):
        # nothing was written: the client may send the same request again (with its Idempotency-Key)
        return answer(request, 503, f"the service is busy ({exc}); nothing was stored, retry in a few seconds",
                      {"Retry-After": str(RETRY_AFTER)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
