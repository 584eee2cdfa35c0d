"""The JSON API: submit artifacts, read reviews and portfolio estimates, list roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, UploadFile

from reviewer.jobs import enqueue, submission_status
from reviewer.pipeline import Context
from reviewer.schemas import (
    EMAIL,
    FORM_TYPES,
    Error,
    PortfolioEstimate,
    Review,
    ReviewRequest,
    SubmissionRequest,
    SubmissionStatus,
)
from reviewer.service import (
    Item,
    NotFound,
    final_view,
    get_review,
    person_portfolio,
    request_hash,
    submission_owner,
    submit,
    visible_to_employee,
)
from reviewer.store import Store
from reviewer.web.dependencies import RowId, api_user, get_context, get_store, is_coach, refuse_leader

def refusal(description: str) -> dict:
    return {"model": Error, "description": description}


# Every refusal the API makes, with the body it has ({"detail": "..."}), documented on every route.
router = APIRouter(prefix="/api", tags=["api"], responses={
    400: refusal("the body is not valid JSON"),
    401: refusal("no signed-in session and no live API token"),
    403: refusal("the caller's role may not do this, or a browser-session call lacks its CSRF token"),
    404: refusal("no such submission, review or person (or not visible to the caller)"),
    409: refusal("the Idempotency-Key was used before with a different request"),
    413: refusal("the request body is over the size limit"),
    422: refusal("unusable input: empty, binary, oversized or of an unknown type or role; the message says which"),
    503: refusal("the database stayed busy; nothing was stored: retry after Retry-After seconds"),
})
StoreDep = Annotated[Store, Depends(get_store)]
ContextDep = Annotated[Context, Depends(get_context)]
UserDep = Annotated[dict, Depends(api_user)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="any unique string per request: sending the same request again with the same key "
                "answers with what the first one stored instead of storing it twice")]


def coach_only(user: dict) -> None:
    if not is_coach(user):
        raise HTTPException(status_code=403, detail="coaches and admins only; employees submit through "
                                                    "POST /api/submissions and read released reviews")


def person_for(user: dict, requested: str | None) -> str:
    """Employees submit as themselves; coaches and admins may submit on someone's behalf."""
    return (requested or user["email"]) if is_coach(user) else user["email"]


@router.post("/reviews", status_code=201, response_model=Review)
def create_review(body: ReviewRequest, store: StoreDep, ctx: ContextDep, user: UserDep,
                  idempotency_key: IdempotencyKey = None) -> Review:
    """Score one artifact (text pasted as JSON) at once and store the review (coaches and admins)."""
    coach_only(user)
    key = (idempotency_key, request_hash(["review", body.model_dump()])) if idempotency_key else None
    [review_id] = submit(store, ctx, [Item(data=body.text, type=body.type)], person=body.person,
                         role=body.role, note=body.note, channel="api", actor=user["email"], idempotency=key)
    return get_review(store, ctx, review_id)


@router.post("/reviews/upload", status_code=201, response_model=Review)
def upload_review(file: Annotated[UploadFile, File(description="the artifact file: UTF-8 or UTF-16 text, not empty", json_schema_extra={"minLength": 1})], store: StoreDep,
                  ctx: ContextDep, user: UserDep, type: Annotated[str | None, Form(json_schema_extra=FORM_TYPES)] = None,
                  role: Annotated[str | None, Form(description="role key from rubrics/roles.yaml")] = None,
                  person: Annotated[str | None, Form(max_length=254, pattern=EMAIL)] = None,
                  note: Annotated[str | None, Form(max_length=2000)] = None,
                  idempotency_key: IdempotencyKey = None) -> Review:
    """Score one uploaded artifact file (multipart form) at once and store the review (coaches and admins)."""
    coach_only(user)
    data = file.file.read(ctx.settings.max_bytes + 1)
    key = (idempotency_key, request_hash(["upload", data, type, role, person, note])) if idempotency_key else None
    [review_id] = submit(store, ctx, [Item(data=data, type=type)], person=person, role=role, note=note,
                         channel="api", actor=user["email"], idempotency=key)
    return get_review(store, ctx, review_id)


@router.post("/submissions", status_code=202, response_model=SubmissionStatus)
def create_submission(body: SubmissionRequest, store: StoreDep, ctx: ContextDep, user: UserDep,
                      idempotency_key: IdempotencyKey = None) -> SubmissionStatus:
    """Accept one or more artifacts at once and score them in the durable background queue;
    poll GET /api/submissions/{id} for the state of each. Send an Idempotency-Key to retry safely."""
    person = person_for(user, body.person)
    key = (idempotency_key, request_hash(["submission", body.model_dump(), person])) if idempotency_key else None
    submission_id, _ = enqueue(store, ctx, [Item(data=a.text, type=a.type) for a in body.artifacts],
                               person=person, role=body.role, team=body.team, note=body.note, channel="api",
                               actor=user["email"], idempotency=key)
    return submission_status(store, submission_id)


@router.get("/submissions/{submission_id:int}", response_model=SubmissionStatus)
def read_submission(submission_id: RowId, store: StoreDep, user: UserDep) -> SubmissionStatus:
    if not is_coach(user) and submission_owner(store, submission_id) != user["email"]:
        raise NotFound(f"no submission {submission_id}")
    return submission_status(store, submission_id)


@router.get("/reviews/{review_id:int}", response_model=Review)
def read_review(review_id: RowId, store: StoreDep, ctx: ContextDep, user: UserDep) -> Review:
    """Coaches see every review; employees (leaders too) their own once released, and leaders are
    refused (403) any other. Both see the coach's decisions applied (`automated_level` holds the
    judge's level when a coach decided another)."""
    if is_coach(user):
        return final_view(store, ctx, review_id)
    try:
        return visible_to_employee(store, ctx, review_id, user["email"])
    except NotFound:
        refuse_leader(user)
        raise


@router.get("/people/{email}/portfolio", response_model=PortfolioEstimate)
def read_portfolio(email: str, store: StoreDep, ctx: ContextDep, user: UserDep) -> PortfolioEstimate:
    """The person's level from all their reviewed artifacts, under the rubric's portfolio rule (coaches)."""
    coach_only(user)
    return person_portfolio(store, ctx, email)


@router.get("/roles")
def list_roles(ctx: ContextDep) -> dict:
    return {key: role.model_dump() for key, role in ctx.roles.roles.items()}
