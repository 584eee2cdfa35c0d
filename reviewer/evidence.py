"""An employee's answer to a coach's request for more evidence: a new artifact, scored in the
queue like any other, attached to the review by a record the coach sees (and the review goes
back to the coach as `evidence_answered`)."""

from __future__ import annotations

from reviewer.jobs import enqueue_prepared
from reviewer.pipeline import Context, prepare
from reviewer.service import MAX_NOTE, Item, NotFound, free_text, review_row, status_of
from reviewer.store import Store


class NotRequested(ValueError):
    """The review is not waiting for evidence (never asked, or already answered)."""


def awaiting_answer(store: Store, review_id: int, email: str) -> dict:
    """The employee's own review that waits for their evidence; NotFound when it is not theirs
    (so others' reviews look like missing ones), NotRequested when nothing is asked."""
    row = review_row(store, review_id)
    if row["person"] != email:
        raise NotFound(f"no review {review_id}")
    if status_of(row) != "evidence_requested":
        raise NotRequested("this review is not waiting for more evidence: it was answered already "
                           "or your coach has not asked for any")
    return row


def answer_evidence(store: Store, ctx: Context, row: dict, *, email: str, item: Item,
                    note: str | None = None) -> int:
    """Store the answer (a submission with one queued artifact) to the review `row` (as
    awaiting_answer gave it) and attach it to the review, in one transaction that checks again
    that the request is open, so of two answers sent at once one is taken and the other
    refused. Returns the answer's artifact id."""
    review_id = row["id"]
    note = free_text(note, MAX_NOTE, "note")
    artifact = prepare(item.data, item.type, ctx.settings.max_bytes)[0]  # checked before the lock
    with store.transaction():
        awaiting_answer(store, review_id, email)
        submission_id, [job_id] = enqueue_prepared(
            store, [artifact], person=email, role=row["role"], team=None, channel="evidence", actor=email,
            note=note or f"more evidence for review {review_id}")
        artifact_id = store.conn.execute("SELECT artifact_id FROM jobs WHERE id = ?", [job_id]).fetchone()[0]
        decision_id = store.add_decision(review_id, actor=email, action="answer_evidence", reason=note,
                                         artifact_id=artifact_id)
        store.audit(email, "answer_evidence", "review", review_id, decision=decision_id, artifact=artifact_id,
                    submission=submission_id)
    return artifact_id


def answers(store: Store, review_id: int) -> list[dict]:
    """The evidence answered on a review, oldest first: the artifact, its text and the state
    and level of its newest review (None while it is scored)."""
    return store.query(
        """SELECT d.id, d.created_at, d.reason, a.id AS artifact_id, a.artifact_type, a.text,
                  r.id AS review_id, r.level, j.state
           FROM decisions d JOIN artifacts a ON a.id = d.artifact_id
           LEFT JOIN jobs j ON j.artifact_id = a.id
           LEFT JOIN reviews r ON r.id = (SELECT max(id) FROM reviews WHERE artifact_id = a.id)
           WHERE d.review_id = ? AND d.action = 'answer_evidence' ORDER BY d.id""", [review_id])


def answered_review(store: Store, artifact_id: int) -> int | None:
    """The review whose request for evidence this artifact answers, if it answers one."""
    row = store.conn.execute("SELECT review_id FROM decisions WHERE action = 'answer_evidence' AND artifact_id = ?",
                             [artifact_id]).fetchone()
    return row[0] if row else None
