"""Request-scoped dependencies: the store (one SQLite connection per request) and the context."""

from __future__ import annotations

import queue
import secrets
from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from reviewer.pipeline import Context
from reviewer.store import Store


# The dependencies are async so they run on the event loop, not on a thread-pool hop each: the
# reads they make are indexed single-row lookups. Only a write (a user's first trusted-header
# request) goes to the pool, where waiting for the database lock cannot stall the loop.

async def get_context(request: Request) -> Context:
    return request.app.state.context


async def get_store(request: Request) -> AsyncIterator[Store]:
    """A connection of its own for this request (requests run concurrently on the thread pool),
    taken from the app's idle ones and given back after."""
    idle = request.app.state.stores
    try:
        store = idle.get_nowait()
    except queue.Empty:
        store = Store.open(request.app.state.context.settings)
    try:
        yield store
    finally:
        if store.conn.in_transaction:
            store.conn.execute("ROLLBACK")
        idle.put(store)


class LoginRequired(Exception):
    """The page needs a signed-in user (answered with a redirect to /login)."""


def _first_sight(store: Store, email: str) -> dict | None:
    from reviewer.accounts import AccountError, create_user, new_password

    try:
        create_user(store, email, "employee", new_password())  # never used: the proxy authenticates
    except AccountError:
        pass  # made by a concurrent request, or not an email address
    return store.user(email)


async def signed_in(request: Request, store: Store) -> dict | None:
    """In trusted-header mode the proxy's user (an employee account on first sight); else the
    browser session's user; None when neither."""
    header = request.app.state.context.settings.trusted_header
    email = (request.headers.get(header, "") if header else "").strip().lower()
    if email:
        return store.user(email) or await run_in_threadpool(_first_sight, store, email)
    email = request.session.get("user")
    return store.user(email) if email else None


async def current_user(request: Request, store: Store = Depends(get_store)) -> dict:
    """The signed-in user: the trusted proxy header when that mode is on, else the browser session."""
    user = await signed_in(request, store)
    if user is None:
        raise LoginRequired()
    return user


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use; every form posts it back."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def check_csrf(request: Request, token: str) -> None:
    if not token or not secrets.compare_digest(token, request.session.get("csrf", "")):
        raise HTTPException(status_code=403, detail="the form expired or did not come from this site; reload and retry")


bearer = HTTPBearer(auto_error=False, description="an API token from `reviewer user token EMAIL`")


async def api_user(request: Request, store: Store = Depends(get_store),
                   credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
    """The caller of a JSON endpoint: an API token (Authorization: Bearer ...) or the browser session."""
    from reviewer.accounts import user_for_token

    if credentials is not None:
        user = user_for_token(store, credentials.credentials)
    else:
        user = await signed_in(request, store)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in or send an API token: Authorization: Bearer <token> "
                                                    "(reviewer user token EMAIL makes one)",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def is_coach(user: dict) -> bool:
    return user["role"] in ("coach", "admin")
