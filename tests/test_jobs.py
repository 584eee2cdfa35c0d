"""The durable scoring queue on a real SQLite file."""

import pytest

from reviewer import jobs
from reviewer.intake import IntakeError
from reviewer.service import Item, get_review

PROMPT = "You are a recruiter. Context: we hire nurses.\nWrite the ad in under 200 words.\nDo not mention salary."


def states(store):
    return [r["state"] for r in store.db.query("SELECT state FROM jobs ORDER BY id")]


def test_enqueue_stores_at_once_and_the_worker_scores_later(store, ctx):
    sub, job_ids = jobs.enqueue(store, ctx, [Item(data=PROMPT), Item(data="summarise this for me please")],
                                person="ana@example.com", role="analyst", team="care", note=None, channel="web",
                                actor="ana@example.com")
    assert len(job_ids) == 2 and states(store) == ["queued", "queued"] and store.db["reviews"].count == 0
    assert jobs.drain(store, ctx) == 2 and states(store) == ["done", "done"]
    review_ids = [r["review_id"] for r in store.db.query("SELECT review_id FROM jobs ORDER BY id")]
    assert [get_review(store, ctx, i).level for i in review_ids] == [2, 1]
    assert get_review(store, ctx, review_ids[0]).feedback.target == 4


def test_a_bad_artifact_refuses_the_whole_submission(store, ctx):
    with pytest.raises(IntakeError, match="empty"):
        jobs.enqueue(store, ctx, [Item(data=PROMPT), Item(data="  ")], person=None, role=None, team=None,
                     note=None, channel="web", actor="x")
    assert store.db["artifacts"].count == 0 and store.db["jobs"].count == 0


def test_jobs_caught_mid_scoring_are_resumed(store, ctx):
    jobs.enqueue(store, ctx, [Item(data=PROMPT)], person=None, role=None, team=None, note=None, channel="web",
                 actor="x")
    assert jobs.claim(store)["attempts"] == 1  # a worker took it ... and the process died
    assert jobs.claim(store) is None and states(store) == ["scoring"]
    assert jobs.requeue_interrupted(store) == 1
    assert jobs.drain(store, ctx) == 1 and states(store) == ["done"]


def test_a_failing_job_is_retried_then_parked_with_its_error(store, ctx, monkeypatch):
    jobs.enqueue(store, ctx, [Item(data=PROMPT)], person=None, role=None, team=None, note=None, channel="web",
                 actor="x")

    def boom(*args, **kwargs):
        raise RuntimeError("judge crashed")

    monkeypatch.setattr(jobs, "assess_stored", boom)
    assert jobs.drain(store, ctx) == jobs.MAX_ATTEMPTS
    [row] = store.db.query("SELECT * FROM jobs")
    assert row["state"] == "failed" and row["error"] == "RuntimeError: judge crashed"
    assert store.db["artifacts"].count == 1  # the accepted artifact is kept


def test_the_worker_thread_drains_the_queue(store, ctx):
    import time

    jobs.enqueue(store, ctx, [Item(data=PROMPT)], person=None, role=None, team=None, note=None, channel="web",
                 actor="x")
    worker = jobs.Worker(ctx, poll=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while states(store) != ["done"] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert states(store) == ["done"] and not worker.thread.is_alive()
