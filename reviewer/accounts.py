"""Local accounts: users with hashed passwords (pwdlib, argon2), sign-in sessions kept on the
server, and per-user API tokens that expire and can be revoked.

Only hashes are stored: a password or token is shown once, when it is made, and a session
cookie holds a random key whose hash finds the session. Disabling a user or changing their
password ends all their sessions at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from pwdlib import PasswordHash

from reviewer import schemas
from reviewer.store import TOKEN_DAYS, Store

ROLES = ("employee", "coach", "leader", "admin")
MIN_PASSWORD = 10
EMAIL = re.compile(schemas.EMAIL)
SESSION_HOURS = 12
MAX_TOKEN_DAYS = 366
_hasher = PasswordHash.recommended()


class AccountError(ValueError):
    """A user that cannot be made or found; the message says why."""


def hash_token(token: str) -> str:
    """API tokens are long random strings, so a fast hash is enough (unlike passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(12)


def leader_teams(teams: str | list[str] | None, role: str) -> list[str]:
    """The teams a new account leads (comma-separated or a list): at least one for a leader,
    none for any other role."""
    if isinstance(teams, str):
        teams = teams.split(",")
    names = sorted({t.strip() for t in teams or [] if t.strip()})
    if role != "leader":
        if names:
            raise AccountError(f"only leaders lead teams: give a {role} none")
        return []
    if not names:
        raise AccountError("a leader needs the teams they lead, comma-separated, e.g. support,sales")
    if too_long := [t for t in names if len(t) > schemas.MAX_TEAM]:
        raise AccountError(f"team name {too_long[0][:40]!r}... is over {schemas.MAX_TEAM} characters")
    from reviewer.service import free_text  # the scoring stack, only when a leader is made

    # redacted as people's team names are on a submission, so the names match
    return sorted({free_text(t, schemas.MAX_TEAM, "team name") for t in names})


def create_user(store: Store, email: str, role: str, password: str, team: str | None = None,
                teams: str | list[str] | None = None) -> int:
    """A new account; a leader's `teams` are those whose proficiency map they see."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"unknown account role {role!r}; use one of: {', '.join(ROLES)}")
    led = leader_teams(teams, role)
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: use at least {MIN_PASSWORD} characters")
    password_hash = _hasher.hash(password)  # slow on purpose: outside the write lock
    with store.transaction():  # the check and the insert under one lock: no duplicate on a race
        if store.user(email):
            raise AccountError(f"user {email} exists already")
        user_id = store.add_user(email, password_hash, role, team)
        for name in led:
            store.add_leader_team(user_id, name)
        store.audit("cli", "user_add", "user", user_id, email=email, role=role, **({"teams": led} if led else {}))
    return user_id


def authenticate(store: Store, email: str, password: str) -> dict | None:
    """The user when the password matches and the account is enabled; None otherwise (the same
    for an unknown email)."""
    user = store.user(email.strip().lower())
    if user is None:
        _hasher.hash(password)  # same work either way: no timing hint that the email exists
        return None
    if not _hasher.verify(password, user["password_hash"]) or user["disabled_at"]:
        return None
    return user


def existing(store: Store, email: str) -> dict:
    user = store.user(email.strip().lower())
    if user is None:
        raise AccountError(f"no user {email.strip().lower()}")
    return user


def issue_token(store: Store, email: str, label: str | None = None, days: float = TOKEN_DAYS,
                actor: str = "cli") -> str:
    if not 0 < days <= MAX_TOKEN_DAYS:
        raise AccountError(f"a token lives between 1 and {MAX_TOKEN_DAYS} days, not {days:g}")
    user = existing(store, email)
    token = "rvw_" + secrets.token_urlsafe(32)
    with store.transaction():
        token_id = store.add_api_token(user["id"], hash_token(token), label, days)
        store.audit(actor, "token_issue", "user", user["id"], token_id=token_id, label=label, days=days)
    return token


def revoke_token(store: Store, token_id: int, actor: str = "cli") -> dict:
    """Revoke one token by its id (from `reviewer user tokens EMAIL`); returns its row."""
    rows = store.query("SELECT t.id, t.user_id, t.revoked_at, u.email FROM api_tokens t "
                       "JOIN users u ON u.id = t.user_id WHERE t.id = ?", [token_id])
    if not rows:
        raise AccountError(f"no API token with id {token_id}")
    if not store.revoke_api_token(token_id):
        raise AccountError(f"token {token_id} of {rows[0]['email']} was revoked already")
    store.audit(actor, "token_revoke", "user", rows[0]["user_id"], token_id=token_id)
    return rows[0]


def user_for_token(store: Store, token: str) -> dict | None:
    return store.user_by_token_hash(hash_token(token))


def set_password(store: Store, email: str, password: str, actor: str) -> dict:
    """Change a user's password (by themselves or reset by an admin); ends all their sessions."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: use at least {MIN_PASSWORD} characters")
    user = existing(store, email)
    password_hash = _hasher.hash(password)
    with store.transaction():
        store.set_password_hash(user["id"], password_hash)
        ended = store.end_sessions("password changed", user_id=user["id"])
        store.audit(actor, "password_set", "user", user["id"], by_self=actor == user["email"], sessions_ended=ended)
    return user


def set_disabled(store: Store, email: str, disabled: bool, actor: str) -> dict:
    """Disable a user (their sessions end and their tokens stop working) or enable them again."""
    user = existing(store, email)
    if disabled and actor == user["email"]:
        raise AccountError("you cannot disable your own account")
    with store.transaction():
        store.set_disabled(user["id"], disabled)
        ended = store.end_sessions("user disabled", user_id=user["id"]) if disabled else 0
        store.audit(actor, "user_disable" if disabled else "user_enable", "user", user["id"], sessions_ended=ended)
    return user


# ---------------------------------------------------------------- sessions

def start_session(store: Store, user: dict) -> str:
    """A new session for a signed-in user, with its own CSRF token; returns the cookie key (only
    its hash is kept)."""
    key = secrets.token_urlsafe(32)
    store.add_session(user["id"], hash_token(key), secrets.token_urlsafe(24), SESSION_HOURS * 3600)
    return key


def session_user(store: Store, key: str) -> dict | None:
    """The user of a live session key (with its CSRF token as `session_csrf`), else None."""
    return store.session_user(hash_token(key)) if key else None


def end_session(store: Store, key: str, *, everywhere: bool = False) -> int:
    """Sign out: this session, or every session of its user."""
    user = session_user(store, key)
    if user is None:
        return 0
    if everywhere:
        return store.end_sessions("signed out everywhere", user_id=user["id"])
    return store.end_sessions("signed out", key_hash=hash_token(key))


def ensure_first_admin(store: Store) -> tuple[str, str] | None:
    """On first run (no users at all) create admin@localhost with a random password and return
    (email, password) to print once; None when users exist."""
    if store.count_users():
        return None
    password = new_password()
    create_user(store, "admin@localhost", "admin", password)
    return "admin@localhost", password
