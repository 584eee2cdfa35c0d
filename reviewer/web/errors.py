"""Bad input gets a clear 4xx message, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from reviewer.intake import IntakeError
from reviewer.rubric import RubricError
from reviewer.service import IdempotencyConflict, NotFound
from reviewer.store import StoreBusy

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


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        status, message = describe_validation(exc)
        return JSONResponse({"detail": message}, status_code=status)

    @app.exception_handler(IntakeError)
    @app.exception_handler(RubricError)
    async def _bad_input(request: Request, exc: ValueError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(IdempotencyConflict)
    async def _key_conflict(request: Request, exc: IdempotencyConflict):
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(StoreBusy)
    async def _busy(request: Request, exc: StoreBusy):
        # nothing was written: the client may send the same request again (with its Idempotency-Key)
        return JSONResponse({"detail": f"the service is busy ({exc}); nothing was stored, retry in a few seconds"},
                            status_code=503, headers={"Retry-After": str(RETRY_AFTER)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
