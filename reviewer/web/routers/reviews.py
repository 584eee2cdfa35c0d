"""A review's page and what is done on it: the coach's view and decisions (with a preview of
edited feedback and "save and next"), the employee's released feedback, and their answer to a
request for more evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from reviewer.evidence import NotRequested, answer_evidence, answered_review, answers, awaiting_answer
from reviewer.feedback import FeedbackText
from reviewer.intake import ARTIFACT_TYPES, IntakeError
from reviewer.service import (
    NotFound,
    OwnWork,
    decide,
    edited_view,
    final_of,
    review_of,
    review_row,
    visible_to_employee,
)
from reviewer.web.dependencies import (
    RowId,
    current_user,
    get_context,
    get_store,
    is_coach,
    refuse_leader,
    require_coach,
)
from reviewer.web.highlight import highlighted_lines
from reviewer.web.render import render
from reviewer.web.routers.pages import form_items
from reviewer.web.sessions import check_csrf

router = APIRouter(include_in_schema=False)


def _row(store, review_id: int) -> dict:
    try:
        return review_row(store, review_id)
    except NotFound:
        raise HTTPException(status_code=404, detail="no such review") from None


def _lines(row: dict, review) -> list:
    return highlighted_lines(row["text"], [(e.start, e.end) for e in review.evidence if e.verified])


def coach_page(request: Request, user: dict, store, ctx, row: dict, **values):
    """The coach's view of a review: the automated result, the coach's decisions applied, the
    employee's note and answers, and the decision forms (prefilled from the final view)."""
    review, final = review_of(row, ctx), final_of(row, ctx)
    samples = store.query("SELECT * FROM judge_samples WHERE review_id = ? ORDER BY id", [row["id"]])
    values.setdefault("edit", FeedbackText.of(final.feedback))
    return render(request, "review_coach.html", user=user, r=review, final=final,
                  lines=_lines(row, review), samples=samples, decisions=row["decisions"], note=row["note"],
                  titles=ctx.policy.titles(), labels={i.id: i.label for i in ctx.rubric.indicators},
                  target=ctx.roles.get(review.role), answers=answers(store, row["id"]),
                  answers_to=answered_review(store, row["artifact_id"]), **values)


@router.get("/reviews/{review_id:int}", response_class=HTMLResponse)
def review_page(review_id: RowId, request: Request, user: Annotated[dict, Depends(current_user)],
                store=Depends(get_store), ctx=Depends(get_context)):
    """The coach's view for coaches and admins; the employee's released feedback for its owner
    (a leader too, for their own work); 404 for anyone else, 403 for a leader."""
    try:
        row = review_row(store, review_id)
        if is_coach(user):
            return coach_page(request, user, store, ctx, row)
        final = visible_to_employee(store, ctx, review_id, user["email"])
    except NotFound:
        refuse_leader(user)
        raise HTTPException(status_code=404, detail="no such review") from None
    return render(request, "review_employee.html", user=user, r=final, lines=_lines(row, final),
                  requests=_requests(row))


@router.post("/reviews/{review_id:int}/decide")
def decide_page(review_id: RowId, request: Request, coach: Annotated[dict, Depends(require_coach)],
                action: Annotated[str, Form()], csrf: Annotated[str, Form()],
                level: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
                summary: Annotated[str, Form()] = "", strengths: Annotated[str, Form()] = "",
                gaps: Annotated[str, Form()] = "", next_steps: Annotated[str, Form()] = "",
                then: Annotated[str, Form()] = "", store=Depends(get_store), ctx=Depends(get_context)):
    """A coach's decision; `then=next` goes on to the next review in the queue, and
    `then=preview` (feedback edits) shows the edited feedback as the employee will see it,
    storing nothing."""
    check_csrf(request, csrf)
    edit = FeedbackText(summary=summary, strengths=strengths, gaps=gaps, next_steps=next_steps) \
        if action == "edit_feedback" else None
    try:
        if then == "preview" and edit is not None:
            row = _row(store, review_id)
            return coach_page(request, coach, store, ctx, row, edit=edit, preview=edited_view(row, ctx, edit))
        decide(store, ctx, review_id, actor=coach["email"], action=action, admin=coach["role"] == "admin",
               level=int(level) if level.strip().isdigit() else None, reason=reason, edit=edit)
    except NotFound:
        raise HTTPException(status_code=404, detail="no such review") from None
    except OwnWork as e:
        raise HTTPException(status_code=403, detail=str(e)) from None
    except ValueError as e:
        raise HTTPException(status_code=422, detail=str(e)) from None
    return RedirectResponse(f"/queue/next?after={review_id}" if then == "next" else f"/reviews/{review_id}",
                            status_code=303)


@router.get("/reviews/{review_id:int}/evidence", response_class=HTMLResponse)
def evidence_page(review_id: RowId, request: Request, user: Annotated[dict, Depends(current_user)],
                  store=Depends(get_store)):
    """The employee's form to answer their coach's request for more evidence."""
    row = _awaiting(store, review_id, user)
    return render(request, "evidence.html", user=user, row=row, types=ARTIFACT_TYPES, request_text=_requests(row)[-1])


@router.post("/reviews/{review_id:int}/evidence")
async def answer_page(review_id: RowId, request: Request, user: Annotated[dict, Depends(current_user)],
                      store=Depends(get_store), ctx=Depends(get_context)):
    form = await request.form(max_files=1, max_fields=10)
    check_csrf(request, str(form.get("csrf", "")))
    row = await run_in_threadpool(_awaiting, store, review_id, user)
    items = await form_items(form, ctx.settings.max_bytes)
    note = str(form.get("note", ""))
    values = dict(user=user, row=row, types=ARTIFACT_TYPES, request_text=_requests(row)[-1], note=note)
    if len(items) != 1:
        return render(request, "evidence.html", status_code=422, **values,
                      error="Paste the evidence or choose one file (not both).")
    try:
        await run_in_threadpool(lambda: answer_evidence(store, ctx, row, email=user["email"], item=items[0], note=note))
    except IntakeError as e:
        return render(request, "evidence.html", status_code=422, error=str(e), **values)
    except NotRequested as e:
        raise HTTPException(status_code=409, detail=str(e)) from None
    return RedirectResponse("/my", status_code=303)


def _awaiting(store, review_id: int, user: dict) -> dict:
    try:
        return awaiting_answer(store, review_id, user["email"])
    except NotFound:
        raise HTTPException(status_code=404, detail="no such review") from None
    except NotRequested as e:
        raise HTTPException(status_code=409, detail=str(e)) from None


def _requests(row: dict) -> list[str]:
    """What coaches asked for on the review, oldest first."""
    return [d["reason"] for d in row["decisions"] if d["action"] == "request_evidence"]
