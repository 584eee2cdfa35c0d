"""Account pages: sign in and out, change one's password, and the admin's user list (add,
reset a password, disable or enable)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from reviewer import throttle
from reviewer.accounts import (
    ROLES,
    AccountError,
    authenticate,
    create_user,
    end_session,
    new_password,
    set_disabled,
    set_password,
    start_session,
)
from reviewer.schemas import MAX_TEAM
from reviewer.web.dependencies import current_user, get_store, require_admin
from reviewer.web.render import render
from reviewer.web.sessions import check_csrf, cookie_key, signed_in_response, signed_out_response

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, email: Annotated[str, Form(max_length=254)], password: Annotated[str, Form(max_length=1024)],
          csrf: Annotated[str, Form(max_length=200)], store=Depends(get_store)):
    check_csrf(request, csrf)
    address = request.client.host if request.client else None
    email = email.strip().lower()
    wait = throttle.retry_after(store, email, address, time.time())
    if wait > 0:
        store.audit(email, "login_throttled", "user", None, address=address, wait_s=round(wait))
        response = render(request, "login.html", status_code=429, email=email,
                          error=f"Too many failed sign-ins for this account or from this address. "
                                f"Try again in {wait:.0f} seconds.")
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = authenticate(store, email, password)
    if user is None:
        throttle.record_failure(store, email, address, time.time())
        store.audit(email, "login_failed", "user", None, address=address)
        return render(request, "login.html", status_code=401, error="Wrong email or password.", email=email)
    throttle.record_success(store, email)
    key = start_session(store, user)  # a new key at every sign-in: no fixation
    store.audit(user["email"], "login", "user", user["id"], address=address)
    return signed_in_response(request, RedirectResponse("/my", status_code=303), key)


@router.post("/logout")
def logout(request: Request, user: Annotated[dict, Depends(current_user)], csrf: Annotated[str, Form(max_length=200)],
           everywhere: Annotated[str, Form(max_length=10)] = "", store=Depends(get_store)):
    check_csrf(request, csrf)
    ended = end_session(store, cookie_key(request), everywhere=bool(everywhere))
    store.audit(user["email"], "logout", "user", user["id"], everywhere=bool(everywhere), sessions_ended=ended)
    return signed_out_response(RedirectResponse("/login", status_code=303))


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: Annotated[dict, Depends(current_user)]):
    return render(request, "account.html", user=user)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, user: Annotated[dict, Depends(current_user)],
                    current: Annotated[str, Form(max_length=1024)], new: Annotated[str, Form(max_length=1024)],
                    confirm: Annotated[str, Form(max_length=1024)], csrf: Annotated[str, Form(max_length=200)],
                    store=Depends(get_store)):
    check_csrf(request, csrf)
    if authenticate(store, user["email"], current) is None:
        return render(request, "account.html", status_code=422, user=user, error="Your current password is wrong.")
    if new != confirm:
        return render(request, "account.html", status_code=422, user=user, error="The new passwords differ.")
    try:
        set_password(store, user["email"], new, actor=user["email"])
    except AccountError as e:
        return render(request, "account.html", status_code=422, user=user, error=str(e))
    # every session ended with the change, this one too: sign in again with the new password
    return signed_out_response(RedirectResponse("/login?changed=1", status_code=303))


def _users_page(request: Request, admin: dict, store, status_code: int = 200, **values) -> HTMLResponse:
    users = store.query("SELECT id, email, role, team, created_at, disabled_at FROM users ORDER BY email")
    return render(request, "users.html", status_code=status_code, user=admin, users=users, roles=ROLES,
                  led=store.leader_teams(), **values)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, admin: Annotated[dict, Depends(require_admin)], store=Depends(get_store)):
    return _users_page(request, admin, store)


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(request: Request, admin: Annotated[dict, Depends(require_admin)], email: Annotated[str, Form(max_length=254)],
             role: Annotated[str, Form(max_length=20)], csrf: Annotated[str, Form(max_length=200)],
             team: Annotated[str, Form(max_length=MAX_TEAM)] = "", teams: Annotated[str, Form(max_length=2000)] = "",
             store=Depends(get_store)):
    check_csrf(request, csrf)
    password = new_password()
    try:
        create_user(store, email, role, password, team.strip() or None, teams)
    except AccountError as e:
        return _users_page(request, admin, store, 422, error=str(e))
    store.audit(admin["email"], "user_add_web", "user", store.user(email.strip().lower())["id"], role=role)
    return _users_page(request, admin, store, created=(email.strip().lower(), password))


@router.post("/admin/users/manage", response_class=HTMLResponse)
def manage_user(request: Request, admin: Annotated[dict, Depends(require_admin)],
                email: Annotated[str, Form(max_length=254)], action: Annotated[str, Form(max_length=20)],
                csrf: Annotated[str, Form(max_length=200)], store=Depends(get_store)):
    """Reset a password (a new random one, shown once), disable or enable a user."""
    check_csrf(request, csrf)
    try:
        if action == "reset":
            password = new_password()
            user = set_password(store, email, password, actor=admin["email"])
            return _users_page(request, admin, store, reset=(user["email"], password))
        if action in ("disable", "enable"):
            user = set_disabled(store, email, action == "disable", actor=admin["email"])
            return _users_page(request, admin, store, done=f"{user['email']} {action}d.")
        raise AccountError(f"unknown action {action!r}: reset, disable or enable")
    except AccountError as e:
        return _users_page(request, admin, store, 422, error=str(e))
