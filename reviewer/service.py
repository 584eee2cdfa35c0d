"""Use cases over the store: submit artifacts for review, read reviews, portfolio estimates."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

from reviewer.aggregate import person_estimate
from reviewer.feedback import FeedbackText, edited_feedback, feedback_for_level
from reviewer.flags import ReviewFacts, evaluate
from reviewer.intake import IntakeError, parse_structured
from reviewer.judges import rules
from reviewer.pipeline import (
    Assessment,
    Context,
    PreparedArtifact,
    assess_prepared,
    prepare,
)
from reviewer.redact import redact
from reviewer.schemas import MAX_TEAM, Feedback, Flag, PortfolioEstimate, Review, RubricRef
from reviewer.store import Store

# The status a decision moves a review to (a coach's, or the employee's answer to a request for
# evidence); without one it is its initial status.
STATUS_AFTER = {"confirm": "confirmed", "override": "overridden", "release": "released",
                "request_evidence": "evidence_requested", "answer_evidence": "evidence_answered",
                "edit_feedback": None}


class NotFound(LookupError):
    """No such review (or not one the caller may see)."""


class IdempotencyConflict(ValueError):
    """An Idempotency-Key sent again with a different request."""


def request_hash(payload: object) -> str:
    """What an Idempotency-Key stands for: the request's content, canonically serialised."""
    blob = json.dumps(payload, sort_keys=True, default=lambda b: hashlib.sha256(b).hexdigest())
    return hashlib.sha256(blob.encode()).hexdigest()


def idempotent_replay(store: Store, actor: str, key: str, sha256: str) -> dict | None:
    """The record of an earlier request with this key (None: a new key); IdempotencyConflict
    when the key came with a different request."""
    earlier = store.key_record(actor, key)
    if earlier is not None and earlier["request_sha256"] != sha256:
        raise IdempotencyConflict(f"Idempotency-Key {key!r} was used before with a different request; "
                                  "use a new key for a new request")
    return earlier


class Item(BaseModel):
    """One artifact in a submission: raw content and the submitter's type (None: detect)."""

    data: bytes | str
    type: str | None = None


def flag_facts(assessment: Assessment, ctx: Context, target: int | None, reviews_under_rubric: int) -> ReviewFacts:
    j = assessment.judgement
    return ReviewFacts(
        level=j.level, confidence=j.confidence, target=target,
        insufficient_evidence=j.insufficient_evidence,
        injection_lines=len(j.injection_quotes) or int(j.injection_suspected),
        unverified_quotes=sum(1 for e in j.evidence if not e.verified),
        judge_levels=assessment.judge_levels, sample_levels=assessment.sample_levels,
        llm_error=assessment.llm_error, llm_failure=assessment.llm_failure, excerpt=assessment.excerpt,
        audit_key=f"{assessment.artifact.sha256_original}:{ctx.rubric.content_hash}",
        rubric_label=ctx.rubric.version_label,
        reviews_under_rubric=reviews_under_rubric,
    )


MAX_NOTE = 2000    # characters of a submission's note
MAX_REASON = 5000  # characters of a coach's reason or feedback text


def free_text(text: str | None, cap: int, what: str = "text") -> str | None:
    """A free-text field as stored: redacted like an artifact, refused over its cap, None when blank."""
    if text is None or not text.strip():
        return None
    if len(text) > cap:
        raise IntakeError(f"the {what} is {len(text):,} characters; keep it under {cap:,}")
    return redact(text).text.strip()


def store_submission(store: Store, artifacts: list[PreparedArtifact], *, person: str | None, role: str | None,
                      team: str | None, note: str | None, channel: str, actor: str) -> tuple[int, list[int]]:
    """The submission row and its artifacts (call inside a transaction); the note and team are
    redacted and capped like any free text."""
    note, team = free_text(note, MAX_NOTE, "note"), free_text(team, MAX_TEAM, "team name")
    submission_id = store.add_submission(store.person_id(person, role, team), role, note, channel)
    store.audit(actor, "submit", "submission", submission_id, artifacts=len(artifacts), channel=channel)
    return submission_id, [store.add_artifact(submission_id, **a.model_dump()) for a in artifacts]


def submit(store: Store, ctx: Context, items: list[Item], *, person: str | None = None, role: str | None = None,
           team: str | None = None, note: str | None = None, channel: str, actor: str | None = None,
           idempotency: tuple[str, str] | None = None) -> list[int]:
    """Score every artifact, then store the submission and its reviews in one transaction.

    Every item is checked before anything is written: one bad artifact refuses the whole
    submission with its message, and an accepted one is never half stored. With `idempotency`
    (key, request hash), a repeated request returns the first one's reviews.
    """
    actor = actor or person or "anonymous"
    if idempotency and (earlier := idempotent_replay(store, actor, *idempotency)):
        return earlier["review_ids"]  # answered before scoring again
    target = ctx.roles.require(role).target if role else None
    prepared = [prepare(item.data, item.type, ctx.settings.max_bytes) for item in items]
    assessments = [assess_prepared(artifact, tree, role, ctx) for artifact, tree in prepared]
    with store.transaction():
        if idempotency and (earlier := idempotent_replay(store, actor, *idempotency)):
            return earlier["review_ids"]  # a concurrent retry stored it while this one scored
        submission_id, artifact_ids = store_submission(store, [a.artifact for a in assessments], person=person,
                                                       role=role, team=team, note=note, channel=channel, actor=actor)
        review_ids = [store_review(store, ctx, artifact_id, a, target, actor)
                      for artifact_id, a in zip(artifact_ids, assessments)]
        if idempotency:
            store.remember_key(actor, *idempotency, submission_id=submission_id, review_ids=review_ids)
        return review_ids


def assess_stored(store: Store, ctx: Context, artifact_id: int, role: str | None) -> Assessment:
    """Score an artifact already in the store (its redacted text) under ctx's rubric and judge."""
    row = store.query("SELECT * FROM artifacts WHERE id = ?", [artifact_id])[0]
    artifact = PreparedArtifact(**{k: row[k] for k in PreparedArtifact.model_fields if k != "redactions"},
                                redactions=json.loads(row["redactions"] or "{}"))
    return assess_prepared(artifact, parse_structured(artifact.text)[1], role, ctx)


def review_flags(store: Store, ctx: Context, a: Assessment, target: int | None) -> list[Flag]:
    """The flag policy applied to an assessment, with the stored history it needs."""
    first_n = int(ctx.policy.param("new_rubric_version", "first_n", 0))
    under_rubric = store.count_reviews_under_rubric(ctx.rubric.content_hash, at_most=first_n)
    return evaluate(flag_facts(a, ctx, target, under_rubric), ctx.policy)


def store_review(store: Store, ctx: Context, artifact_id: int, a: Assessment, target: int | None, actor: str,
                 supersedes: int | None = None, flags: list[Flag] | None = None) -> int:
    """The review, its samples and an audit entry (call inside a transaction); `flags` when
    the caller has already applied the policy."""
    flags = review_flags(store, ctx, a, target) if flags is None else flags
    j = a.judgement
    review_id = store.add_review(
        artifact_id, level=j.level, confidence=j.confidence, insufficient_evidence=j.insufficient_evidence,
        initial_status="needs_review" if flags else "auto_ok",
        dimensions=[d.model_dump() for d in j.dimensions], evidence=[e.model_dump() for e in j.evidence],
        feedback=a.feedback.model_dump(), rationale=j.rationale,
        rubric_id=ctx.rubric.id, rubric_version=ctx.rubric.version, rubric_hash=ctx.rubric.content_hash,
        judge=j.judge, judge_config=ctx.judge_config, prompt_hashes=a.prompt_hashes, models=a.models,
        supersedes=supersedes, flags=flags, excerpt=a.excerpt)
    for sample in a.samples:
        store.add_judge_sample(review_id, **sample.model_dump(exclude={"cached"}))
    store.add_judge_sample(review_id, judge=rules.NAME, model=None, sample_index=0,
                           parsed=a.rules_judgement.model_dump())
    store.audit(actor, "score", "review", review_id, level=j.level, judge=j.judge,
                flags=[f.kind for f in flags], supersedes=supersedes)
    return review_id


def status_of(row: dict) -> str:
    status = row["initial_status"]
    for d in row["decisions"]:
        status = STATUS_AFTER.get(d["action"]) or status
    return status


def review_row(store: Store, review_id: int) -> dict:
    row = store.review_row(review_id)
    if row is None:
        raise NotFound(f"no review {review_id}")
    return row


def get_review(store: Store, ctx: Context, review_id: int) -> Review:
    return review_of(review_row(store, review_id), ctx)


def review_of(row: dict, ctx: Context) -> Review:
    """A stored review row (store.review_row) as the API and the CLI show it."""
    return Review(
        id=row["id"], artifact_id=row["artifact_id"], person=row["person"], role=row["role"],
        status=status_of(row), artifact_type=row["artifact_type"], type_detected=row["type_detected"],
        level=row["level"], level_name=ctx.rubric.level(row["level"]).name, confidence=row["confidence"],
        insufficient_evidence=row["insufficient_evidence"], dimensions=row["dimensions"],
        evidence=row["evidence"], flags=row["flags"], feedback=Feedback(**row["feedback"]),
        redactions=row["redactions"],
        rubric=RubricRef(id=row["rubric_id"], version=row["rubric_version"], hash=row["rubric_hash"]),
        judge=row["judge"], judge_config=row["judge_config"], models=row["models"],
        prompt_hashes=row["prompt_hashes"], usage=row["usage"], supersedes=row["supersedes"],
        excerpt=row["excerpt"], created_at=row["created_at"],
    )


def person_portfolio(store: Store, ctx: Context, email: str) -> PortfolioEstimate:
    """The person's level under the rubric's portfolio rule, from the newest review of each
    artifact with a coach's level where one overrode it (the same rows and rule as the team map)."""
    from reviewer.listings import latest_by_person  # listings imports this module

    person = store.person(email)
    if person is None:
        raise NotFound(f"no reviews for {email}")
    latest = latest_by_person(store, email)
    result = person_estimate(latest, ctx.rubric.portfolio)
    role = ctx.roles.get(person["role"])
    return PortfolioEstimate(person=email, role=person["role"], target=role.target if role else None,
                             level=result.level, confidence=result.confidence, rule=ctx.rubric.portfolio.rule,
                             dimensions=result.dimensions, reviews=[r["id"] for r in latest])


class Rescore(BaseModel):
    review_id: int
    person: str | None
    artifact_type: str
    old_level: int
    new_level: int
    new_review_id: int | None = None


# Decisions that settle a review's level: a rescore leaves such a review alone unless asked.
LEVEL_DECISIONS = frozenset({"confirm", "override", "release"})


def is_decided(row: dict) -> bool:
    return any(d["action"] in LEVEL_DECISIONS for d in row["decisions"])


def rescore_all(store: Store, ctx: Context, *, write: bool, actor: str, only_flag: str | None = None,
                include_decided: bool = False) -> tuple[list[Rescore], int]:
    """Re-score the newest review of every artifact (or only those carrying `only_flag`, e.g.
    llm_unavailable) under ctx's rubric and judge: (the re-scored, how many decided reviews were
    kept). A review a coach has confirmed, overridden or released is the coach's call and is
    kept unless `include_decided`. With write=False nothing is stored; otherwise each gets a new
    review that supersedes it."""

    rows = store.query("""SELECT max(r.id) AS id FROM reviews r GROUP BY r.artifact_id ORDER BY r.artifact_id""")
    out, kept = [], 0
    for review_id in [r["id"] for r in rows]:
        row = store.review_row(review_id)
        if only_flag and only_flag not in {f.kind for f in row["flags"]}:
            continue
        if not include_decided and is_decided(row):
            kept += 1
            continue
        a = assess_stored(store, ctx, row["artifact_id"], row["role"])
        change = Rescore(review_id=review_id, person=row["person"], artifact_type=row["artifact_type"],
                         old_level=row["level"], new_level=a.judgement.level)
        if write:
            target = ctx.roles.require(row["role"]).target if row["role"] else None
            with store.transaction():
                change.new_review_id = store_review(store, ctx, row["artifact_id"], a, target, actor,
                                                    supersedes=review_id)
        out.append(change)
    return out, kept


DECISIONS = ("confirm", "override", "edit_feedback", "request_evidence", "release")


class OwnWork(Exception):
    """A coach deciding on a review of their own artifact."""


def edited_view(row: dict, ctx: Context, edit: FeedbackText) -> Feedback:
    """The feedback a coach's edit gives the employee (what a save stores and a preview shows):
    each field redacted and capped like any free text, applied to the final view's feedback."""
    fields = {name: free_text(getattr(edit, name), MAX_REASON, what) or "" for name, what in
              (("summary", "feedback"), ("strengths", "strengths"), ("gaps", "gaps"), ("next_steps", "next steps"))}
    if not fields["summary"]:
        raise ValueError("write the feedback text")
    return edited_feedback(final_of(row, ctx).feedback, FeedbackText(**fields))


def decide(store: Store, ctx: Context, review_id: int, *, actor: str, action: str, level: int | None = None,
           reason: str | None = None, edit: FeedbackText | None = None, admin: bool = False) -> int:
    """A coach's decision: a new record (never an overwrite) and an audit entry. Nobody decides on
    their own work, except an admin who records why. An edit of the feedback (`edit`) replaces
    the feedback the employee sees, as final_view shows it now."""
    row = review_row(store, review_id)
    if action not in DECISIONS:
        raise ValueError(f"unknown action {action!r}")
    reason = free_text(reason, MAX_REASON, "reason")
    own = row["person"] == actor
    if own and not admin:
        raise OwnWork("this is a review of your own work: another coach decides on it")
    if own and not reason:
        raise ValueError("deciding on your own work needs a reason, recorded in the audit log")
    if action == "override":
        if level is None or not 1 <= level <= 6:
            raise ValueError("an override needs a level from 1 to 6")
        if not reason:
            raise ValueError("an override needs a reason")
    if action == "edit_feedback" and edit is None:
        raise ValueError("write the feedback text")
    if action == "request_evidence" and not reason:
        raise ValueError("say what evidence is needed")
    feedback = edited_view(row, ctx, edit).model_dump() if action == "edit_feedback" else None
    with store.transaction():
        decision_id = store.add_decision(review_id, actor=actor, action=action,
                                         level=level if action == "override" else None, reason=reason,
                                         feedback=feedback)
        store.audit(actor, action, "review", review_id, decision=decision_id, level=level, reason=reason,
                    own_work=own)
    return decision_id


MAX_BULK = 100  # reviews one bulk confirm-and-release may name


def confirm_and_release(store: Store, review_ids: list[int], *, actor: str) -> list[int]:
    """Confirm and release, in one transaction, those of the reviews that are unflagged, not yet
    decided (status auto_ok), their artifact's newest and not the actor's own work; returns
    them. Others are left alone, so two coaches releasing the same reviews at once record each
    decision once."""
    if len(review_ids) > MAX_BULK:
        raise ValueError(f"select at most {MAX_BULK} reviews at a time")
    done = []
    with store.transaction():
        for review_id in dict.fromkeys(review_ids):
            row = store.review_row(review_id)
            if row is None or status_of(row) != "auto_ok" or row["flags"] or row["person"] == actor \
                    or store.newest_review_of(row["artifact_id"]) != review_id:
                continue
            for action in ("confirm", "release"):
                decision_id = store.add_decision(review_id, actor=actor, action=action)
                store.audit(actor, action, "review", review_id, decision=decision_id, bulk=True)
            done.append(review_id)
    return done


def final_view(store: Store, ctx: Context, review_id: int) -> Review:
    return final_of(review_row(store, review_id), ctx)


def final_of(row: dict, ctx: Context) -> Review:
    """The review as everyone sees it once a coach has decided: the coach's level, feedback
    rebuilt for that level (its gaps and next steps against the role target), or the coach's
    edited feedback when the edit came after the latest override and was made for this level
    (an edit for another level no longer fits), and the automated level in `automated_level`
    when the coach decided another."""
    review = review_of(row, ctx)
    level, edited = review.level, None
    for d in row["decisions"]:
        if d["action"] == "override":
            level, edited = d["level"], None
        if d["action"] == "edit_feedback" and d["feedback"]:
            edited = Feedback(**d["feedback"])
    if edited is not None and edited.level != level:
        edited = None  # made for another level (an override stored while the coach was editing)
    if level == review.level and edited is None:
        return review
    feedback = edited
    if feedback is None:
        met = {i for dim in review.dimensions for i in dim.met}
        feedback = feedback_for_level(level, met, review.evidence, review.insufficient_evidence, ctx.rubric,
                                      review.role, ctx.roles.get(review.role))
    return review.model_copy(update={"level": level, "level_name": ctx.rubric.level(level).name, "feedback": feedback,
                                     "automated_level": review.level if level != review.level else None})


def submission_owner(store: Store, submission_id: int) -> str | None:
    row = store.conn.execute("""SELECT p.email FROM submissions s LEFT JOIN people p ON p.id = s.person_id
                              WHERE s.id = ?""", [submission_id]).fetchone()
    return row[0] if row else None


def is_released(status: str, ctx: Context) -> bool:
    """Whether a review with this status shows to its employee: released by a coach, or
    unflagged under an organisation's auto-release."""
    return status == "released" or (ctx.settings.auto_release and status == "auto_ok")


def visible_to_employee(store: Store, ctx: Context, review_id: int, email: str) -> Review:
    """The employee's own review once released (or auto-released); NotFound for anything else,
    so other people's reviews and unreleased ones look alike."""
    review = final_view(store, ctx, review_id)
    if review.person != email or not is_released(review.status, ctx):
        raise NotFound(f"no review {review_id}")
    return review
