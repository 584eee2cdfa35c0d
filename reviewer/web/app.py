"""The app factory: settings in, FastAPI app out (tests build their own). The app starts
`settings.workers` scoring worker processes and stops them with itself, and wraps every
response in the security headers and every request in the body-size cap."""

from __future__ import annotations

import queue
import secrets
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reviewer.config import Settings
from reviewer.pipeline import load_context
from reviewer.store import Store
from reviewer.supervisor import WorkerProcesses
from reviewer.web import docs, errors
from reviewer.web.dependencies import LoginRequired
from reviewer.web.routers import accounts, agreement, api, pages, reviews, teams
from reviewer.web.routers import queue as coach_queue

# JSON may escape every character as a six-byte \u escape: six bytes per byte of artifact, plus the envelope.
BODY_OVERHEAD = 64 * 1024
STATIC = Path(__file__).resolve().parent / "static"


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

    app = FastAPI(title="reviewer", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Assesses how well people work with generative AI from their real work artifacts.")
    app.state.context = context
    app.state.stores = stores
    app.state.session_secret = session_secret(settings)
    body_limit = settings.max_bytes * 6 + BODY_OVERHEAD

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict:
        return {"status": "ok", "rubric": context.rubric.version_label, "judge": settings.judge}

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    document_roles(app, list(context.roles.roles))
    errors.install(app)
    app.include_router(api.router)
    app.include_router(accounts.router)
    app.include_router(pages.router)
    app.include_router(coach_queue.router)
    app.include_router(reviews.router)
    app.include_router(agreement.router)
    app.include_router(teams.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if settings.docs:
        docs.install(app)
    app.add_middleware(BodyLimit, limit=body_limit, max_bytes=settings.max_bytes)
    app.add_middleware(SecurityHeaders)
    return app


def document_roles(app: FastAPI, roles: list[str]) -> None:
    """The OpenAPI schema lists the configured role keys wherever a role is asked for (they come
    from the roles file, not from code)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            for name, model in generate()["components"]["schemas"].items():
                if "role" in model.get("properties", {}):  # a form field (Body_*) has no null: empty is none
                    model["properties"]["role"]["enum"] = [*roles, "" if name.startswith("Body_") else None]
        return app.openapi_schema

    app.openapi = openapi


class BodyLimit:
    """Refuse a body over the limit with 413: a declared one before reading it, a chunked one as
    soon as the bytes received pass the limit, so no more than one chunk past it is ever held
    (plain ASGI: Starlette's BaseHTTPMiddleware would cost every request a task and a stream)."""

    def __init__(self, app: ASGIApp, limit: int, max_bytes: int):
        self.app, self.limit, self.max_bytes = app, limit, max_bytes

    def message(self) -> str:
        return f"request body over the {self.limit:,}-byte limit (artifacts are capped at {self.max_bytes:,} bytes)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await JSONResponse({"detail": self.message()}, status_code=413)(scope, receive, send)
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException reaches the app's handler (FastAPI re-raises it from body parsing).
                    raise HTTPException(status_code=413, detail=self.message())
            return message

        await self.app(scope, counted, send)


# Content the pages load comes from this server only, and no page runs inline script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
           (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
           (b"cross-origin-opener-policy", b"same-origin")]


class SecurityHeaders:
    """Every response gets the headers above; every response but static files is no-store, since
    pages and API answers show artifacts, feedback and, once, new passwords."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith(("/static/", "/docs/assets/"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS:
                    headers.setdefault(name.decode(), value.decode())
                if not static:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def session_secret(settings: Settings) -> str:
    """The configured key, else one made once and kept (owner-only) beside the database, so
    sign-in forms served before a restart still post after it."""
    if settings.session_secret:
        return settings.session_secret
    path = Path(settings.db).parent / "session.key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
