"""The app factory: settings in, FastAPI app out (tests build their own). The app starts
`settings.workers` scoring worker processes and stops them with itself."""

from __future__ import annotations

import queue
import secrets
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from reviewer.config import Settings
from reviewer.pipeline import load_context
from reviewer.store import Store
from reviewer.supervisor import WorkerProcesses
from reviewer.web import errors
from reviewer.web.dependencies import LoginRequired
from reviewer.web.routers import api, pages

# JSON may escape every character as a six-byte \u escape: six bytes per byte of artifact, plus the envelope.
BODY_OVERHEAD = 64 * 1024


def create_app(settings: Settings) -> FastAPI:
    context = load_context(settings)
    Store.open(settings).close()  # create or migrate the database before the first request
    workers = WorkerProcesses(settings)
    stores: queue.SimpleQueue[Store] = queue.SimpleQueue()  # idle connections, reused across requests

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        workers.start()  # they also take back jobs whose lease a crash left behind
        yield
        workers.stop()
        while not stores.empty():
            stores.get_nowait().close()

    app = FastAPI(title="reviewer", version="0.1.0", lifespan=lifespan,
                  description="Assesses how well people work with generative AI from their real work artifacts.")
    app.state.context = context
    app.state.stores = stores
    body_limit = settings.max_bytes * 6 + BODY_OVERHEAD

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict:
        return {"status": "ok", "rubric": context.rubric.version_label, "judge": settings.judge}

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(BodyLimit, limit=body_limit, max_bytes=settings.max_bytes)
    app.add_middleware(SessionMiddleware, secret_key=session_secret(settings), same_site="strict",
                       https_only=False, session_cookie="reviewer_session", max_age=12 * 3600)
    return app


class BodyLimit:
    """Refuse a declared body over the limit with 413 before reading it (plain ASGI: Starlette's
    BaseHTTPMiddleware would cost every request a task and a stream)."""

    def __init__(self, app: ASGIApp, limit: int, max_bytes: int):
        self.app, self.limit, self.max_bytes = app, limit, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                response = JSONResponse({"detail": f"request body over the {self.limit:,}-byte limit "
                                                   f"(artifacts are capped at {self.max_bytes:,} bytes)"},
                                        status_code=413)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def session_secret(settings: Settings) -> str:
    """The configured key, else one made once and kept (owner-only) beside the database, so
    sessions survive restarts."""
    if settings.session_secret:
        return settings.session_secret
    path = Path(settings.db).parent / "session.key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
