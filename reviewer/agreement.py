"""Coach agreement: how often automation and coaches settle on the same level.

Every review a coach has settled (service.LEVEL_DECISIONS: confirm, override, release) is one
comparison: its automated level against the coach's level at the latest settling decision (the
latest override's level up to it, else the automated level), dated by that decision. A review
confirmed and then released counts once, so a bulk confirm-and-release weighs no more than a
single call. `settled_reviews` is the SQL every coaching query builds on: `decision_rows` reads
the settled reviews for the page and the CLI, `settled_levels` only their level pairs for the
queue's warning; `agreement`, `level_figures` and `alarm` are pure functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from reviewer.evaluation.metrics import (
    adjacent_agreement,
    exact_agreement,
    mean_absolute_error,
    quadratic_weighted_kappa,
)
from reviewer.flags import AgreementPolicy
from reviewer.service import LEVEL_DECISIONS
from reviewer.store import Store


class SettledReview(BaseModel):
    """A review's latest level-settling coach decision beside its automated level, and the
    override behind the coach's level, if any."""

    decided_at: str
    override_id: int | None = None
    override_at: str | None = None
    override_actor: str | None = None
    reason: str | None = None  # the override's
    review_id: int
    automated_level: int
    coach_level: int
    rubric: str  # the rubric's version label, e.g. 1.0+8cc11da32d87
    judge: str
    artifact_type: str


# SQL pieces the coaching queries share: the level-settling actions, and a review's rubric
# version label as Rubric.version_label writes it (declared version + 12 characters of the hash).
SETTLING_ACTIONS = ", ".join(f"'{a}'" for a in sorted(LEVEL_DECISIONS))
RUBRIC_LABEL = "r.rubric_version || '+' || substr(r.rubric_hash, 1, 12)"


def since_date(value: str) -> str:
    """A `since` filter as given (YYYY-MM-DD) in the form decisions are dated; ValueError says how
    to write it."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValueError(f"since {value!r}: give a date as YYYY-MM-DD, e.g. 2026-01-31") from None


def settled_reviews(since: str | None, rubric_version: str | None = None) -> tuple[str, list]:
    """FROM and WHERE of the settled reviews, one row each (d: the review's latest level-settling
    decision, made at or after `since`; r: the review, under `rubric_version` when given; a: its
    artifact; s: its submission; o: the override behind the coach's level, if any), and their
    arguments: the SQL every coaching query builds on."""
    where, args = [f"d.id = (SELECT max(l.id) FROM decisions l WHERE l.review_id = d.review_id "
                   f"AND l.action IN ({SETTLING_ACTIONS}))"], []
    if since:
        where.append("d.created_at >= ?")
        args.append(since)
    if rubric_version:
        where.append(f"(r.rubric_version = ? OR {RUBRIC_LABEL} = ?)")
        args += [rubric_version, rubric_version]
    return f"""
        FROM decisions d JOIN reviews r ON r.id = d.review_id JOIN artifacts a ON a.id = r.artifact_id
        JOIN submissions s ON s.id = a.submission_id
        LEFT JOIN decisions o ON o.id = (SELECT max(o2.id) FROM decisions o2 WHERE o2.review_id = d.review_id
                                         AND o2.action = 'override' AND o2.id <= d.id)
        WHERE d.action IN ({SETTLING_ACTIONS}) AND {' AND '.join(where)}""", args


def decision_rows(store: Store, since: str | None = None, rubric_version: str | None = None) -> list[SettledReview]:
    """The settled reviews, one row each, whose latest level-settling decision was made at or
    after `since` (an ISO date or time, UTC), under `rubric_version` (a declared version such as
    1.0, or a full label 1.0+<hash>); oldest decision first."""
    settled, args = settled_reviews(since, rubric_version)
    rows = store.query(f"""
        SELECT d.created_at AS decided_at, o.id AS override_id, o.created_at AS override_at, o.actor AS override_actor, o.reason,
               r.id AS review_id, r.level AS automated_level, coalesce(o.level, r.level) AS coach_level,
               {RUBRIC_LABEL} AS rubric, r.judge, a.artifact_type
        {settled} ORDER BY d.id""", args)
    return [SettledReview(**r) for r in rows]


def settled_levels(store: Store, since: str) -> tuple[list[int], list[int]]:
    """The coaches' and the automated levels of the reviews settled since `since`, counted in SQL
    (at most 36 level pairs come back), for the queue's warning on every page load."""
    settled, args = settled_reviews(since)
    coach, auto = [], []
    for c, a, n in store.conn.execute(f"SELECT coalesce(o.level, r.level), r.level, count(*) {settled} "
                                      "GROUP BY 1, 2", args):
        coach += [c] * n
        auto += [a] * n
    return coach, auto


def level_figures(coach: Sequence[int], auto: Sequence[int]) -> dict:
    """n, exact and adjacent agreement, QWK and mean absolute error (None figures when empty),
    coaches' levels taken as the reference."""
    return {"n": len(coach), "exact": exact_agreement(coach, auto), "adjacent": adjacent_agreement(coach, auto),
            "qwk": quadratic_weighted_kappa(coach, auto), "mae": mean_absolute_error(coach, auto)}


def figures(rows: Sequence[SettledReview]) -> dict:
    """level_figures of decision_rows."""
    return level_figures([r.coach_level for r in rows], [r.automated_level for r in rows])


def iso_week(at: str) -> str:
    year, week, _ = datetime.fromisoformat(at).isocalendar()
    return f"{year}-W{week:02d}"


def _grouped(rows: Sequence[SettledReview], key: Callable[[SettledReview], str]) -> dict[str, dict]:
    groups: dict[str, list[SettledReview]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return {name: figures(groups[name]) for name in sorted(groups)}


def agreement(rows: Sequence[SettledReview]) -> dict:
    """The figures overall, per rubric version, artifact type, judge and ISO week of the
    decision (oldest first), and the override behind each overridden review's level with its
    reason (newest first; an earlier override of the same review is not listed)."""
    return {
        "overall": figures(rows),
        "by_rubric": _grouped(rows, lambda r: r.rubric),
        "by_type": _grouped(rows, lambda r: r.artifact_type),
        "by_judge": _grouped(rows, lambda r: r.judge),
        "by_week": _grouped(rows, lambda r: iso_week(r.decided_at)),
        "overrides": [{"decision_id": r.override_id, "decided_at": r.override_at, "actor": r.override_actor,
                       "review_id": r.review_id, "automated_level": r.automated_level,
                       "coach_level": r.coach_level, "reason": r.reason}
                      for r in sorted(rows, key=lambda r: r.override_id or 0, reverse=True) if r.override_id],
    }


def alarm(f: dict, policy: AgreementPolicy) -> str | None:
    """Why agreement over the policy's window (`f`: the figures of the reviews settled in it) is
    below the policy's thresholds, in one sentence; None when it is not, or too few reviews were
    settled to tell."""
    if f["n"] < policy.min_decisions:
        return None
    low = []
    if f["exact"] < policy.min_exact:
        low.append(f"exact agreement {f['exact']:.0%} (threshold {policy.min_exact:.0%})")
    if f["qwk"] < policy.min_qwk:
        low.append(f"QWK {f['qwk']:.2f} (threshold {policy.min_qwk:.2f})")
    if not low:
        return None
    return (f"Automation agrees with coaches less than it should: {' and '.join(low)} over the "
            f"{f['n']} reviews coaches settled in the last {policy.days} days.")


def recent_alarm(store: Store, policy: AgreementPolicy) -> str | None:
    """The policy's warning over the reviews settled in its window, ending now (see `alarm`)."""
    start = datetime.now(UTC) - timedelta(days=policy.days)
    return alarm(level_figures(*settled_levels(store, start.isoformat(timespec="milliseconds"))), policy)
