"""Sign-in throttling: exponential back-off per account and per client address.

Every failed sign-in is recorded under both scopes. After `FREE` failures within `WINDOW`
seconds, the next attempt in that scope must wait `BASE * 2**(n - FREE)` seconds after the
latest failure, up to `MAX_WAIT`. Back-off after failures is not a request rate, so a
rate-limit library (limits, slowapi) would not express it; the failures live in the database
so every server process sees them.
"""

from __future__ import annotations

from reviewer.store import Store

FREE = 5          # failures allowed before any wait
BASE = 2.0        # seconds of the first wait
MAX_WAIT = 900.0  # the longest wait
WINDOW = 3600.0   # failures older than this are forgotten


def wait_for(failures: list[float], at: float) -> float:
    """Seconds still to wait at time `at`, given the scope's failure times (pure)."""
    recent = sorted(f for f in failures if f > at - WINDOW)
    if len(recent) < FREE:
        return 0.0
    wait = min(MAX_WAIT, BASE * 2 ** (len(recent) - FREE))
    return max(0.0, recent[-1] + wait - at)


def scopes(email: str, address: str | None) -> list[str]:
    return [f"account:{email.strip().lower()}"] + ([f"address:{address}"] if address else [])


def retry_after(store: Store, email: str, address: str | None, at: float) -> float:
    """Seconds before this account may try from this address; 0 when it may now."""
    return max(wait_for(store.login_failures_since(scope, at - WINDOW), at) for scope in scopes(email, address))


def record_failure(store: Store, email: str, address: str | None, at: float) -> None:
    with store.transaction():
        for scope in scopes(email, address):
            store.add_login_failure(scope, at)


def record_success(store: Store, email: str) -> None:
    """The account's slate is wiped; the address's is not, so a guesser who also holds one valid
    account cannot reset the count of the address they guess from."""
    store.clear_login_failures(scopes(email, None)[0])
