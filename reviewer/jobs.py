"""The durable scoring queue: accepted artifacts are stored at once with a queued job; worker
processes (reviewer.worker) claim jobs with leases and score them.

- A claim is a lease: the job is the worker's until `lease_until`, which the worker extends
  while it scores. A job whose worker died is taken again once its lease has expired, never
  while the lease is live, so a second worker starting up does not steal it.
- A review is stored only by the worker still holding the lease, in the same transaction that
  marks the job done: a job is scored once even when a slow worker lost its lease.
- Failures are classified: transient ones (a busy database, no model answering) go back to the
  queue with exponential backoff; a scoring error is tried MAX_ATTEMPTS times; a job over the
  time budget is parked at once. Parked (`failed`) jobs are listed by `reviewer jobs` and put
  back with `reviewer jobs retry`. Nothing accepted is ever deleted.
"""

from __future__ import annotations

import sys
import time

from pydantic import BaseModel

from reviewer.pipeline import Context, PreparedArtifact, prepare
from reviewer.schemas import ArtifactState, SubmissionStatus
from reviewer.service import Item, NotFound, idempotent_replay, store_submission
from reviewer.store import Store, now

MAX_ATTEMPTS = 3  # scoring errors: a bug or an artifact the judge cannot handle
MAX_TRANSIENT_ATTEMPTS = 10  # busy database, lost workers: worth waiting for
BACKOFF_BASE = 2.0  # seconds before retry n: base * 2^(n-1), capped by the caller's max_wait
STATES = ("queued", "scoring", "done", "failed")


class Job(BaseModel):
    id: int
    artifact_id: int
    role: str | None
    actor: str | None
    attempts: int
    created_at: str


def backoff(attempts: int, max_wait: float) -> float:
    """Seconds to wait before the next try after `attempts` tries."""
    return min(max_wait, BACKOFF_BASE * 2 ** min(30, max(0, attempts - 1)))


def enqueue(store: Store, ctx: Context, items: list[Item], *, person: str | None, role: str | None,
            team: str | None, note: str | None, channel: str, actor: str,
            idempotency: tuple[str, str] | None = None) -> tuple[int, list[int]]:
    """Check every artifact, then store them with one queued job each, in one transaction (an
    accepted artifact always has its job); returns (submission id, job ids). One bad artifact
    refuses the whole submission with its message. With `idempotency` (key, request hash), a
    repeated request returns the first one's submission instead of storing it again."""
    ctx.roles.require(role)
    prepared = [prepare(item.data, item.type, ctx.settings.max_bytes)[0] for item in items]
    with store.transaction():
        if idempotency and (earlier := idempotent_replay(store, actor, *idempotency)):
            return earlier["submission_id"], job_ids_of(store, earlier["submission_id"])
        submission_id, job_ids = enqueue_prepared(store, prepared, person=person, role=role, team=team, note=note,
                                                  channel=channel, actor=actor)
        if idempotency:
            store.remember_key(actor, *idempotency, submission_id=submission_id)
    return submission_id, job_ids


def enqueue_prepared(store: Store, prepared: list[PreparedArtifact], *, person: str | None, role: str | None,
                     team: str | None, note: str | None, channel: str, actor: str) -> tuple[int, list[int]]:
    """The submission of checked artifacts with a queued job each (call inside a transaction)."""
    submission_id, artifact_ids = store_submission(store, prepared, person=person, role=role, team=team,
                                                   note=note, channel=channel, actor=actor)
    stamp, t = now(), time.time()
    return submission_id, [store.conn.execute(
        """INSERT INTO jobs (artifact_id, role, actor, state, attempts, not_before, created_at, updated_at)
           VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)""", [artifact_id, role, actor, t, stamp, stamp]).lastrowid
        for artifact_id in artifact_ids]


def job_ids_of(store: Store, submission_id: int) -> list[int]:
    return [r[0] for r in store.conn.execute(
        "SELECT j.id FROM jobs j JOIN artifacts a ON a.id = j.artifact_id WHERE a.submission_id = ? ORDER BY j.id",
        [submission_id])]


def submission_status(store: Store, submission_id: int) -> SubmissionStatus:
    sub = store.query("SELECT id, created_at FROM submissions WHERE id = ?", [submission_id])
    if not sub:
        raise NotFound(f"no submission {submission_id}")
    rows = store.query("""SELECT a.id AS artifact_id, a.artifact_type, j.state, j.review_id, j.error
                             FROM artifacts a JOIN jobs j ON j.artifact_id = a.id
                             WHERE a.submission_id = ? ORDER BY a.id""", [submission_id])
    return SubmissionStatus(**sub[0], artifacts=[ArtifactState(**r) for r in rows])


def claim(store: Store, owner: str, lease: float) -> Job | None:
    """Take the oldest job that is due: queued and past its backoff, or scoring under a lease
    that has expired (its worker died). Atomic: two workers never hold the same job."""
    t = time.time()
    due = """SELECT id FROM jobs WHERE (state = 'queued' AND coalesce(not_before, 0) <= ?)
                                    OR (state = 'scoring' AND coalesce(lease_until, 0) < ? AND attempts < ?)"""
    args = [t, t, MAX_TRANSIENT_ATTEMPTS]
    if store.conn.execute(due + " LIMIT 1", args).fetchone() is None:
        return None  # an idle worker polls with a read: no write lock taken
    with store.transaction():
        row = store.conn.execute(
            f"""UPDATE jobs SET state = 'scoring', attempts = attempts + 1, lease_owner = ?, lease_until = ?,
                               updated_at = ?
                WHERE id = ({due} ORDER BY id LIMIT 1)
                RETURNING id, artifact_id, role, actor, attempts, created_at""",
            [owner, t + lease, now(), *args]).fetchone()
    return Job(**dict(zip(("id", "artifact_id", "role", "actor", "attempts", "created_at"), row))) if row else None


def extend(store: Store, job_id: int, owner: str, lease: float) -> bool:
    """Renew a lease while scoring; False when the job is no longer this worker's."""
    with store.transaction():
        return store.conn.execute("UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'scoring'",
                                  [time.time() + lease, job_id, owner]).rowcount == 1


def holds(store: Store, job_id: int, owner: str) -> bool:
    """Whether `owner` still holds the job (call inside the transaction that acts on it)."""
    return store.conn.execute("SELECT 1 FROM jobs WHERE id = ? AND lease_owner = ? AND state = 'scoring'",
                              [job_id, owner]).fetchone() is not None


def finish(store: Store, job_id: int, owner: str, review_id: int) -> None:
    store.conn.execute("""UPDATE jobs SET state = 'done', review_id = ?, error = NULL, error_kind = NULL,
                                          lease_owner = NULL, lease_until = NULL, updated_at = ?
                          WHERE id = ? AND lease_owner = ?""", [review_id, now(), job_id, owner])


def fail(store: Store, job: Job, owner: str, kind: str, error: str, max_wait: float) -> str:
    """Record a failed try: back to the queue after a backoff while tries remain, else parked
    as `failed`. kind: transient | error | timeout (parked at once: scoring the same text again
    takes as long) | llm_wait (no model answered; the worker's deadline, not a count, ends the
    wait). Returns the new state."""
    limit = {"transient": MAX_TRANSIENT_ATTEMPTS, "error": MAX_ATTEMPTS, "timeout": 0, "llm_wait": sys.maxsize}[kind]
    state = "queued" if job.attempts < limit else "failed"
    with store.transaction():
        store.conn.execute(
            """UPDATE jobs SET state = ?, error = ?, error_kind = ?, not_before = ?, lease_owner = NULL,
                              lease_until = NULL, updated_at = ?
               WHERE id = ? AND lease_owner = ?""",
            [state, error[:500], kind, time.time() + backoff(job.attempts, max_wait), now(), job.id, owner])
    return state


def release(store: Store, job_id: int, owner: str) -> bool:
    """Give a job back untouched (a worker shutting down): queued again at once, the try not counted."""
    with store.transaction():
        return store.conn.execute(
            """UPDATE jobs SET state = 'queued', attempts = max(0, attempts - 1), lease_owner = NULL,
                              lease_until = NULL, not_before = ?, updated_at = ?
               WHERE id = ? AND lease_owner = ? AND state = 'scoring'""",
            [time.time(), now(), job_id, owner]).rowcount == 1


def park_abandoned(store: Store) -> int:
    """Jobs whose worker died MAX_TRANSIENT_ATTEMPTS times while scoring them (an artifact that
    crashes the process) are parked instead of taken again; returns how many."""
    expired = """SELECT 1 FROM jobs WHERE state = 'scoring' AND coalesce(lease_until, 0) < ? AND attempts >= ? LIMIT 1"""
    if store.conn.execute(expired, [time.time(), MAX_TRANSIENT_ATTEMPTS]).fetchone() is None:
        return 0
    with store.transaction():
        return store.conn.execute(
            """UPDATE jobs SET state = 'failed', error_kind = 'error', lease_owner = NULL, lease_until = NULL,
                              error = 'its worker stopped ' || attempts || ' times while scoring it', updated_at = ?
               WHERE state = 'scoring' AND coalesce(lease_until, 0) < ? AND attempts >= ?""",
            [now(), time.time(), MAX_TRANSIENT_ATTEMPTS]).rowcount


def list_jobs(store: Store, state: str | None = None, limit: int = 50) -> list[dict]:
    sql = """SELECT j.id, j.artifact_id, a.submission_id, j.state, j.attempts, j.error_kind, j.error,
                    j.review_id, j.lease_owner, j.created_at, j.updated_at
             FROM jobs j JOIN artifacts a ON a.id = j.artifact_id"""
    args: list = []
    if state:
        sql, args = sql + " WHERE j.state = ?", [state]
    return store.query(sql + " ORDER BY j.id DESC LIMIT ?", args + [limit])


def counts(store: Store) -> dict[str, int]:
    found = dict(store.conn.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    return {s: found.get(s, 0) for s in STATES}


def retry(store: Store, job_ids: list[int] | None, actor: str) -> int:
    """Put parked jobs back in the queue (all of them when job_ids is None), tries reset; audited."""
    with store.transaction():
        sql = "UPDATE jobs SET state = 'queued', attempts = 0, not_before = ?, updated_at = ? WHERE state = 'failed'"
        args: list = [time.time(), now()]
        if job_ids is not None:
            sql += f" AND id IN ({', '.join('?' * len(job_ids))})"
            args += job_ids
        n = store.conn.execute(sql, args).rowcount
        store.audit(actor, "jobs_retry", "job", None, jobs=job_ids or "all failed", count=n)
    return n
