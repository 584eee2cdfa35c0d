"""Local accounts: users with hashed passwords (pwdlib, argon2) and per-user API tokens.

Only hashes are stored: a password or token is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from pwdlib import PasswordHash

from reviewer.store import Store

ROLES = ("employee", "coach", "admin")
MIN_PASSWORD = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_hasher = PasswordHash.recommended()


class AccountError(ValueError):
    """A user that cannot be made or found; the message says why."""


def hash_token(token: str) -> str:
    """API tokens are long random strings, so a fast hash is enough (unlike passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(store: Store, email: str, role: str, password: str, team: str | None = None) -> int:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"unknown account role {role!r}; use one of: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: use at least {MIN_PASSWORD} characters")
    password_hash = _hasher.hash(password)  # slow on purpose: outside the write lock
    with store.transaction():  # the check and the insert under one lock: no duplicate on a race
        if store.user(email):
            raise AccountError(f"user {email} exists already")
        user_id = store.add_user(email, password_hash, role, team)
        store.audit("cli", "user_add", "user", user_id, email=email, role=role)
    return user_id


def authenticate(store: Store, email: str, password: str) -> dict | None:
    """The user when the password matches; None otherwise (the same for an unknown email)."""
    user = store.user(email.strip().lower())
    if user is None:
        _hasher.hash(password)  # same work either way: no timing hint that the email exists
        return None
    return user if _hasher.verify(password, user["password_hash"]) else None


def issue_token(store: Store, email: str, label: str | None = None) -> str:
    user = store.user(email.strip().lower())
    if user is None:
        raise AccountError(f"no user {email}")
    token = "rvw_" + secrets.token_urlsafe(32)
    with store.transaction():
        token_id = store.add_api_token(user["id"], hash_token(token), label)
        store.audit("cli", "token_issue", "user", user["id"], token_id=token_id, label=label)
    return token


def user_for_token(store: Store, token: str) -> dict | None:
    return store.user_by_token_hash(hash_token(token))


def ensure_first_admin(store: Store) -> tuple[str, str] | None:
    """On first run (no users at all) create admin@localhost with a random password and return
    (email, password) to print once; None when users exist."""
    if store.count_users():
        return None
    password = new_password()
    create_user(store, "admin@localhost", "admin", password)
    return "admin@localhost", password
