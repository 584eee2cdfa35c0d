"""The durable scoring queue: accepted artifacts are stored at once with a queued job, and a
worker scores them. A crash or restart loses nothing: jobs caught mid-scoring go back to the
queue when the worker starts."""

from __future__ import annotations

import logging
import threading

from reviewer.pipeline import Context, prepare
from reviewer.schemas import ArtifactState, SubmissionStatus
from reviewer.service import (
    Item,
    NotFound,
    assess_stored,
    store_review,
    store_submission,
)
from reviewer.store import Store, now

MAX_ATTEMPTS = 3
log = logging.getLogger("reviewer.jobs")


def enqueue(store: Store, ctx: Context, items: list[Item], *, person: str | None, role: str | None,
            team: str | None, note: str | None, channel: str, actor: str) -> tuple[int, list[int]]:
    """Check every artifact, then store them with one queued job each, in one transaction (an
    accepted artifact always has its job); returns (submission id, job ids). One bad artifact
    refuses the whole submission with its message."""
    ctx.roles.require(role)
    prepared = [prepare(item.data, item.type, ctx.settings.max_bytes)[0] for item in items]
    with store.transaction():
        submission_id, artifact_ids = store_submission(store, prepared, person=person, role=role, team=team,
                                                       note=note, channel=channel, actor=actor)
        job_ids = [store.db["jobs"].insert({"artifact_id": artifact_id, "role": role, "actor": actor,
                                            "state": "queued", "attempts": 0, "created_at": now(),
                                            "updated_at": now()}).last_pk for artifact_id in artifact_ids]
    return submission_id, job_ids


def submission_status(store: Store, submission_id: int) -> SubmissionStatus:
    sub = list(store.db.query("SELECT id, created_at FROM submissions WHERE id = ?", [submission_id]))
    if not sub:
        raise NotFound(f"no submission {submission_id}")
    rows = store.db.query("""SELECT a.id AS artifact_id, a.artifact_type, j.state, j.review_id, j.error
                             FROM artifacts a JOIN jobs j ON j.artifact_id = a.id
                             WHERE a.submission_id = ? ORDER BY a.id""", [submission_id])
    return SubmissionStatus(**sub[0], artifacts=[ArtifactState(**r) for r in rows])


def requeue_interrupted(store: Store) -> int:
    """Jobs left in `scoring` by a crash go back to the queue; returns how many."""
    with store.transaction():
        return store.db.execute("UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'scoring'",
                                [now()]).rowcount


def claim(store: Store) -> dict | None:
    """Take the oldest queued job (atomically: two workers never take the same one)."""
    with store.transaction():
        row = store.db.execute(
            """UPDATE jobs SET state = 'scoring', attempts = attempts + 1, updated_at = ?
               WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1)
               RETURNING id, artifact_id, role, actor, attempts""", [now()]).fetchone()
    return dict(zip(("id", "artifact_id", "role", "actor", "attempts"), row)) if row else None


def run(store: Store, ctx: Context, job: dict) -> None:
    """Score one claimed job; a failure goes back to the queue until MAX_ATTEMPTS, then `failed`."""
    try:
        assessment = assess_stored(store, ctx, job["artifact_id"], job["role"])
        target = ctx.roles.require(job["role"]).target if job["role"] else None
        with store.transaction():
            review_id = store_review(store, ctx, job["artifact_id"], assessment, target, job["actor"] or "worker")
            store.db.execute("UPDATE jobs SET state = 'done', review_id = ?, error = NULL, updated_at = ? WHERE id = ?",
                             [review_id, now(), job["id"]])
    except Exception as exc:  # the job must never vanish: record why and retry or park it
        log.exception("job %s failed", job["id"])
        state = "queued" if job["attempts"] < MAX_ATTEMPTS else "failed"
        with store.transaction():
            store.db.execute("UPDATE jobs SET state = ?, error = ?, updated_at = ? WHERE id = ?",
                             [state, f"{type(exc).__name__}: {exc}"[:500], now(), job["id"]])


def drain(store: Store, ctx: Context) -> int:
    """Run queued jobs until none is left; returns how many ran."""
    ran = 0
    while (job := claim(store)) is not None:
        run(store, ctx, job)
        ran += 1
    return ran


class Worker:
    """A background thread that drains the queue, waking when told or every `poll` seconds."""

    def __init__(self, ctx: Context, poll: float = 2.0):
        self.ctx, self.poll = ctx, poll
        self.wake, self.stopping = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._loop, name="reviewer-worker", daemon=True)

    def start(self) -> None:
        store = Store(self.ctx.settings.db)
        requeue_interrupted(store)
        store.close()
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        store = Store(self.ctx.settings.db)  # this thread's own connection
        try:
            while not self.stopping.is_set():
                drain(store, self.ctx)
                self.wake.wait(self.poll)
                self.wake.clear()
        finally:
            store.close()
