"""HTML responses from the Jinja templates, each with the caller's CSRF token (and the visitor
cookie it is bound to, before sign-in)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from reviewer.web.sessions import csrf_token, remember_visitor

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def render(request: Request, name: str, status_code: int = 200, **values) -> HTMLResponse:
    values.setdefault("user", None)
    response = templates.TemplateResponse(request, name, {"csrf": csrf_token(request), **values},
                                          status_code=status_code)
    remember_visitor(request, response)
    return response

