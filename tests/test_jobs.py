"""The durable scoring queue and its workers on a real SQLite file: leases, retries with
backoff, parking, the time budget, graceful stops, idempotent submissions."""

import time

import pytest

from reviewer import jobs
from reviewer import worker as worker_mod
from reviewer.intake import IntakeError
from reviewer.pipeline import load_context
from reviewer.service import IdempotencyConflict, Item, get_review
from reviewer.store import Store, StoreBusy
from reviewer.worker import Worker

PROMPT = "You are a recruiter. Context: we hire nurses.\nWrite the ad in under 200 words.\nDo not mention salary."


def states(store):
    return [r["state"] for r in store.db.query("SELECT state FROM jobs ORDER BY id")]


def enqueue(store, ctx, *texts, key=None):
    return jobs.enqueue(store, ctx, [Item(data=t) for t in texts or [PROMPT]], person="ana@example.com",
                        role="analyst", team="care", note=None, channel="web", actor="ana@example.com",
                        idempotency=key)


def test_enqueue_stores_at_once_and_a_worker_scores_later(store, ctx):
    sub, job_ids = enqueue(store, ctx, PROMPT, "summarise this for me please")
    assert len(job_ids) == 2 and states(store) == ["queued", "queued"] and store.db["reviews"].count == 0
    assert Worker(ctx).run(drain=True) == 2 and states(store) == ["done", "done"]
    review_ids = [r["review_id"] for r in store.db.query("SELECT review_id FROM jobs ORDER BY id")]
    assert [get_review(store, ctx, i).level for i in review_ids] == [2, 1]
    assert get_review(store, ctx, review_ids[0]).feedback.target == 4


def test_a_bad_artifact_refuses_the_whole_submission(store, ctx):
    with pytest.raises(IntakeError, match="empty"):
        enqueue(store, ctx, PROMPT, "  ")
    assert store.db["artifacts"].count == 0 and store.db["jobs"].count == 0


def test_an_idempotency_key_stores_a_submission_once(store, ctx):
    first = enqueue(store, ctx, PROMPT, key=("k1", "hash-a"))
    assert enqueue(store, ctx, PROMPT, key=("k1", "hash-a")) == first
    assert store.db["submissions"].count == 1 and store.db["jobs"].count == 1
    with pytest.raises(IdempotencyConflict, match="different request"):
        enqueue(store, ctx, PROMPT, key=("k1", "hash-b"))
    assert enqueue(store, ctx, PROMPT, key=("k2", "hash-a"))[0] != first[0]


def test_a_live_lease_is_never_taken_and_an_expired_one_is(store, ctx):
    enqueue(store, ctx)
    a = jobs.claim(store, "worker-a", lease=30)
    assert a is not None and jobs.claim(store, "worker-b", lease=30) is None  # a second worker starting up
    store.conn.execute("UPDATE jobs SET lease_until = ? WHERE id = ?", [time.time() - 1, a.id])  # worker-a died
    b = jobs.claim(store, "worker-b", lease=30)
    assert b.id == a.id and b.attempts == 2
    # worker-a was only slow: its late result is dropped, worker-b's is stored, one review in all
    assert worker_mod.score(store, ctx, a, "worker-a") == "lost"
    assert worker_mod.score(store, ctx, b, "worker-b") == "done"
    assert store.db["reviews"].count == 1 and states(store) == ["done"]


def test_a_failing_job_is_retried_with_backoff_then_parked_and_can_be_put_back(store, ctx, monkeypatch):
    enqueue(store, ctx)
    monkeypatch.setattr(worker_mod, "assess_stored", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("judge crashed")))
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        job = jobs.claim(store, "w", lease=30)
        assert job is not None and job.attempts == attempt
        state = worker_mod.score(store, ctx, job, "w")
        [row] = store.db.query("SELECT * FROM jobs")
        assert row["error"] == "RuntimeError: judge crashed" and row["error_kind"] == "error"
        if attempt < jobs.MAX_ATTEMPTS:
            assert state == "queued" and row["not_before"] > time.time() + jobs.backoff(attempt, 60) - 5
            assert jobs.claim(store, "w", lease=30) is None  # not before its backoff
            store.conn.execute("UPDATE jobs SET not_before = 0")
    assert state == "failed" and store.db["artifacts"].count == 1  # the accepted artifact is kept
    assert [j["id"] for j in jobs.list_jobs(store, "failed")] == [job.id]
    monkeypatch.undo()
    assert jobs.retry(store, None, actor="admin") == 1 and states(store) == ["queued"]
    assert Worker(ctx).run(drain=True) == 1 and states(store) == ["done"]
    assert "jobs_retry" in [e["action"] for e in store.audit_entries()]


def test_a_busy_database_is_a_transient_failure(store, ctx, monkeypatch):
    enqueue(store, ctx)
    monkeypatch.setattr(worker_mod, "assess_stored", lambda *a, **k: (_ for _ in ()).throw(StoreBusy("busy 5 s")))
    job = jobs.claim(store, "w", lease=30)
    assert worker_mod.score(store, ctx, job, "w") == "queued"
    [row] = store.db.query("SELECT * FROM jobs")
    assert row["error_kind"] == "transient" and jobs.MAX_TRANSIENT_ATTEMPTS > jobs.MAX_ATTEMPTS


def test_a_job_over_the_time_budget_records_a_clear_error(settings, store, monkeypatch):
    ctx = load_context(settings.model_copy(update={"job_timeout": 0.3}))
    enqueue(store, ctx)
    monkeypatch.setattr(worker_mod, "assess_stored", lambda *a, **k: time.sleep(30))
    assert Worker(ctx).run(drain=True) == 1
    [row] = store.db.query("SELECT * FROM jobs")
    assert row["state"] == "failed" and row["error_kind"] == "timeout"
    assert "longer than the 0.3-second budget" in row["error"] and store.db["reviews"].count == 0


def test_a_worker_told_to_stop_mid_job_releases_it(store, ctx, monkeypatch):
    import os
    import signal

    enqueue(store, ctx)

    def slow(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill` or a supervisor would, while scoring
        time.sleep(30)

    monkeypatch.setattr(worker_mod, "assess_stored", slow)
    w = Worker(ctx)
    with w.stopped_by_signals():
        assert w.run() == 0
    assert signal.getsignal(signal.SIGTERM) != w.stop  # handlers restored
    [row] = store.db.query("SELECT * FROM jobs")
    assert row["state"] == "queued" and row["attempts"] == 0 and row["lease_owner"] is None
    assert store.db["reviews"].count == 0


def test_a_job_whose_worker_keeps_dying_is_parked(store, ctx):
    enqueue(store, ctx)
    store.conn.execute("UPDATE jobs SET state = 'scoring', attempts = ?, lease_until = 0",
                       [jobs.MAX_TRANSIENT_ATTEMPTS])
    assert jobs.claim(store, "w", lease=30) is None
    assert jobs.park_abandoned(store) == 1
    [row] = store.db.query("SELECT * FROM jobs")
    assert row["state"] == "failed" and "stopped" in row["error"]


def test_transactions_take_the_write_lock_first_and_wait_for_it(settings):
    a, b = Store(settings.db), Store(settings.db, busy_timeout=0.2)
    with a.transaction():
        a.person_id("ana@example.com")
        started = time.monotonic()
        with pytest.raises(StoreBusy):  # a bounded wait, then a clear error (no half-done write)
            with b.transaction():
                b.person_id("bo@example.com")
        assert time.monotonic() - started >= 0.15
    with b.transaction():  # free again
        b.person_id("bo@example.com")
    assert a.db["people"].count == 2
