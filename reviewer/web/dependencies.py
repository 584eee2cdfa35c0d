"""Request-scoped dependencies: the store (one SQLite connection per request) and the context."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from reviewer.pipeline import Context
from reviewer.store import Store


def get_context(request: Request) -> Context:
    return request.app.state.context


def get_store(request: Request) -> Iterator[Store]:
    # sqlite3 connections belong to one thread; FastAPI runs sync handlers in a pool.
    store = Store(request.app.state.context.settings.db)
    try:
        yield store
    finally:
        store.close()
