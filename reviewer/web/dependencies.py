"""Request-scoped dependencies: the store (one SQLite connection per request), the context and
the caller (trusted proxy header, browser session or API token)."""

from __future__ import annotations

import queue
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from reviewer.pipeline import Context
from reviewer.store import Store
from reviewer.web.sessions import check_api_csrf, session_of


# The dependencies are async so they run on the event loop, not on a thread-pool hop each: the
# reads they make are indexed single-row lookups. Only a write (a user's first trusted-header
# request) goes to the pool, where waiting for the database lock cannot stall the loop.

async def get_context(request: Request) -> Context:
    return request.app.state.context


@contextmanager
def borrowed_store(app) -> Iterator[Store]:
    """One of the app's idle connections (or a new one), given back after; a transaction left
    open is rolled back first."""
    idle = app.state.stores
    try:
        store = idle.get_nowait()
    except queue.Empty:
        store = Store.open(app.state.context.settings)
    try:
        yield store
    finally:
        if store.conn.in_transaction:
            store.conn.execute("ROLLBACK")
        idle.put(store)


async def get_store(request: Request) -> AsyncIterator[Store]:
    """A connection of its own for this request (requests run concurrently on the thread pool)."""
    with borrowed_store(request.app) as store:
        yield store


# Row ids are SQLite integers (routes match digits only, {id:int}): one out of their range names
# nothing and is answered 404 (see errors.py), never an overflow.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="a row id")]


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
    browser session's user; None when neither. A disabled user is nobody."""
    from reviewer.accounts import EMAIL

    header = request.app.state.context.settings.trusted_header
    email = (request.headers.get(header, "") if header else "").strip().lower()
    if email:
        if len(email) > 254 or not EMAIL.fullmatch(email):
            raise HTTPException(status_code=400, detail=f"the {header} header from the sign-in proxy is not "
                                                        "an email address")
        user = store.user(email) or await run_in_threadpool(_first_sight, store, email)
        return None if user is None or user["disabled_at"] else user
    return session_of(request, store)


async def current_user(request: Request, store: Store = Depends(get_store)) -> dict:
    """The signed-in user: the trusted proxy header when that mode is on, else the browser session."""
    user = await signed_in(request, store)
    if user is None:
        raise LoginRequired()
    return user


bearer = HTTPBearer(auto_error=False, description="an API token from `reviewer user token EMAIL`")


async def api_user(request: Request, store: Store = Depends(get_store),
                   credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
    """The caller of a JSON endpoint: an API token (Authorization: Bearer ...) or the browser
    session, which must also pass the CSRF check when the call changes data."""
    from reviewer.accounts import user_for_token

    if credentials is not None:
        user = user_for_token(store, credentials.credentials)
    else:
        user = await signed_in(request, store)
        if user is not None:
            check_api_csrf(request)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in or send a live API token: Authorization: Bearer "
                                                    "<token> (reviewer user token EMAIL makes one)",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def is_coach(user: dict) -> bool:
    return user["role"] in ("coach", "admin")


def require_coach(user: Annotated[dict, Depends(current_user)]) -> dict:
    if not is_coach(user):
        raise HTTPException(status_code=403, detail="coaches only")
    return user


def require_admin(user: Annotated[dict, Depends(current_user)]) -> dict:
    if user["role"] != "admin":
        raise HTTPException(status_code=403, detail="admins only")
    return user


MAP_VIEWERS = ("coach", "leader", "admin")


def require_map_viewer(user: Annotated[dict, Depends(current_user)]) -> dict:
    if user["role"] not in MAP_VIEWERS:
        raise HTTPException(status_code=403, detail="the team map is for leaders, coaches and admins")
    return user


def refuse_leader(user: dict) -> None:
    """Leaders see their teams' map, never anyone's individual review: 403 (where an employee
    would get 404 for a review not theirs)."""
    if user["role"] == "leader":
        raise HTTPException(status_code=403, detail="leaders see their teams' map (/map), not individual reviews")
