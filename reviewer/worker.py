"""A scoring worker: its own process (`reviewer worker`, or started by `reviewer serve`), so a
slow artifact never stops the server answering. Several may run against one database.

The worker claims a job (a lease), renews the lease from a lease-keeper thread while it scores,
stores the review only if it still holds the lease, and gives the job back when asked to stop
(SIGTERM, SIGINT). Scoring runs under a time budget; a job over it records a clear error.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

from reviewer import jobs
from reviewer.pipeline import Context
from reviewer.service import assess_stored, review_flags, store_review
from reviewer.store import Store, StoreBusy

log = logging.getLogger("reviewer.worker")


class ScoringTimeout(Exception):
    """Scoring ran past the per-artifact time budget."""


class Stopping(BaseException):
    """Raised in the middle of scoring when the worker is told to stop (not an Exception, so
    no scoring code can swallow it)."""


@contextmanager
def time_budget(seconds: float | None):
    """Raise ScoringTimeout in this (main) thread after `seconds`. Python handles the signal
    between bytecodes, and every regex call is linear in a capped input, so it fires promptly."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise ScoringTimeout(f"scoring took longer than the {seconds:g}-second budget (REVIEWER_JOB_TIMEOUT); "
                             "the artifact is kept and `reviewer jobs retry` puts it back in the queue")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class LeaseKeeper:
    """One thread per worker that renews the lease of the job in hand every third of its length
    (a thread per job would cost a thread and a connection per review)."""

    def __init__(self, ctx: Context, owner: str):
        self.ctx, self.owner = ctx, owner
        self.job_id: int | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="lease-keeper", daemon=True)

    def _beat(self) -> None:
        store = Store.open(self.ctx.settings)
        try:
            while not self.stopping.wait(self.ctx.settings.job_lease / 3):
                job_id = self.job_id
                if job_id is None:
                    continue
                try:
                    jobs.extend(store, job_id, self.owner, self.ctx.settings.job_lease)
                except (StoreBusy, sqlite3.OperationalError):
                    continue  # the next beat tries again; the lease has two more beats of slack
        finally:
            store.close()

    @contextmanager
    def holding(self, job_id: int):
        self.job_id = job_id
        try:
            yield
        finally:
            self.job_id = None


def age_seconds(created_at: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(created_at)).total_seconds()


def score(store: Store, ctx: Context, job: jobs.Job, owner: str) -> str:
    """Score one claimed job and store its review; returns the job's new state (or 'lost' when
    another worker holds it now)."""
    def failed(kind: str, error: str) -> str:
        return jobs.fail(store, job, owner, kind, error, ctx.settings.job_retry_max_wait)

    try:
        with time_budget(ctx.settings.job_timeout):
            assessment = assess_stored(store, ctx, job.artifact_id, job.role)
        target = ctx.roles.require(job.role).target if job.role else None
        flags = review_flags(store, ctx, assessment, target)
        if any(f.kind == "llm_unavailable" for f in flags) and age_seconds(job.created_at) < ctx.settings.llm_wait:
            # no model answered: wait for one (with backoff) before settling for the rules judge
            return failed("llm_wait", f"no model answered; waiting for one: {assessment.llm_error}")
        with store.transaction():
            if not jobs.holds(store, job.id, owner):
                return "lost"
            review_id = store_review(store, ctx, job.artifact_id, assessment, target, job.actor or "worker",
                                     flags=flags)
            jobs.finish(store, job.id, owner, review_id)
        return "done"
    except ScoringTimeout as e:
        return failed("timeout", str(e))
    except (StoreBusy, sqlite3.OperationalError) as e:
        return failed("transient", f"{type(e).__name__}: {e}")
    except Exception as e:  # the job must never vanish: record why, retry or park it
        log.exception("job %s failed", job.id)
        return failed("error", f"{type(e).__name__}: {e}")


class Worker:
    """Claims and scores jobs until stopped (or, with drain=True, until none is due)."""

    def __init__(self, ctx: Context, *, poll: float = 0.25):
        self.ctx, self.poll = ctx, poll
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.scoring = False

    def stop(self, *_signal) -> None:
        """Ask the worker to stop; a job being scored is interrupted and given back."""
        self.stopping.set()
        if self.scoring and threading.current_thread() is threading.main_thread():
            raise Stopping()

    @contextmanager
    def stopped_by_signals(self):
        """SIGTERM and SIGINT stop the worker while the body runs (the previous handlers after)."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def run(self, *, drain: bool = False) -> int:
        """Score jobs; returns how many were scored (done or failed)."""
        store = Store.open(self.ctx.settings)
        keeper = LeaseKeeper(self.ctx, self.owner)
        keeper.thread.start()
        ran = 0
        try:
            while not self.stopping.is_set():
                job = self._claim(store)
                if job is None:
                    if drain:
                        break
                    self.stopping.wait(self.poll)
                    continue
                try:
                    self.scoring = True
                    with keeper.holding(job.id):
                        state = score(store, self.ctx, job, self.owner)
                    self.scoring = False
                except Stopping:
                    self.scoring = False
                    jobs.release(store, job.id, self.owner)
                    log.info("stopping: job %s given back to the queue", job.id)
                    break
                ran += state in ("done", "failed")
        finally:
            keeper.stopping.set()
            store.close()
        return ran

    def _claim(self, store: Store) -> jobs.Job | None:
        try:
            jobs.park_abandoned(store)
            return jobs.claim(store, self.owner, self.ctx.settings.job_lease)
        except (StoreBusy, sqlite3.OperationalError):
            return None  # busy: try again after the poll interval
