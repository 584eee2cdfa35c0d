"""Browser sessions: the cookie holds a random key; the session (user, CSRF token, expiry) is kept
on the server, so signing out, a password change or disabling a user ends it for good.

Before sign-in a visitor gets a random visitor cookie, and the sign-in form's CSRF token is an
HMAC of it: an anonymous page view writes nothing to the database. Cookies are HttpOnly,
SameSite=Strict, and Secure when the request came over HTTPS or REVIEWER_HTTPS_ONLY is set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request, Response

from reviewer.accounts import SESSION_HOURS, session_user
from reviewer.store import Store

COOKIE = "reviewer_session"
VISITOR_COOKIE = "reviewer_visitor"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_key(request: Request) -> str:
    return request.cookies.get(COOKIE, "")[:100]


def session_of(request: Request, store: Store) -> dict | None:
    """The user of the request's session cookie (looked up once per request)."""
    if not hasattr(request.state, "session_user"):
        request.state.session_user = session_user(store, cookie_key(request))
    return request.state.session_user


def csrf_token(request: Request) -> str:
    """The token every form posts back: the session's, or before sign-in one bound to the visitor cookie."""
    user = getattr(request.state, "session_user", None)
    if user is not None:
        return user["session_csrf"]
    visitor = request.cookies.get(VISITOR_COOKIE, "")[:100] or getattr(request.state, "new_visitor", "")
    if not visitor:
        visitor = request.state.new_visitor = secrets.token_urlsafe(24)
    secret = request.app.state.session_secret.encode()
    return hmac.new(secret, visitor.encode(), hashlib.sha256).hexdigest()


def _is_csrf_token(request: Request, token: str) -> bool:
    return bool(token) and secrets.compare_digest(token.encode(), csrf_token(request).encode())


def check_csrf(request: Request, token: str) -> None:
    if not _is_csrf_token(request, token):
        raise HTTPException(status_code=403, detail="the form expired or did not come from this site; reload and retry")


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is not None and origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def check_api_csrf(request: Request) -> None:
    """A state-changing API call authenticated by the browser (not by a token) must carry the
    session's CSRF token in X-CSRF-Token or come from this site's own Origin."""
    token = request.headers.get("x-csrf-token", "")
    if request.method in SAFE_METHODS or same_origin(request) or _is_csrf_token(request, token):
        return
    raise HTTPException(status_code=403, detail="a browser-session call that changes data needs the X-CSRF-Token "
                                                "header or a same-origin Origin; scripts should use an API token")


def secure(request: Request) -> bool:
    return request.app.state.context.settings.https_only or request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", secure=secure(request),
                        path="/")


def remember_visitor(request: Request, response: Response) -> None:
    """Set the visitor cookie when this response handed out a token bound to a new one."""
    visitor = getattr(request.state, "new_visitor", "")
    if visitor:
        set_cookie(request, response, VISITOR_COOKIE, visitor, None)


def signed_in_response(request: Request, response: Response, key: str) -> Response:
    set_cookie(request, response, COOKIE, key, SESSION_HOURS * 3600)
    response.delete_cookie(VISITOR_COOKIE, path="/")
    return response


def signed_out_response(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/")
    return response
