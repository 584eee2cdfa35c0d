"""The pages people work on: submit artifacts, follow their reviews, the coach queue and review."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile  # what request.form() gives (FastAPI's is a subclass)

from reviewer.intake import ARTIFACT_TYPES, IntakeError
from reviewer.jobs import enqueue
from reviewer.listings import TABS, QueueFilters, person_artifacts, queue_counts, queue_reviews
from reviewer.rubric import RubricError
from reviewer.service import (
    Item,
    NotFound,
    OwnWork,
    decide,
    final_view,
    get_review,
    is_released,
    request_hash,
    visible_to_employee,
)
from reviewer.web.dependencies import RowId, current_user, get_context, get_store, refuse_leader, require_coach
from reviewer.web.highlight import highlighted_lines
from reviewer.web.render import render
from reviewer.web.sessions import check_csrf

router = APIRouter(include_in_schema=False)
MAX_ARTIFACTS = 10


def destination(ctx) -> str:
    """Where the text goes, in plain words, for the submit page."""
    s = ctx.settings
    if ctx.llm is None:
        return "It is scored on this server by the offline rules judge; nothing leaves the machine."
    models = ", ".join(m.name for chain in ctx.llm.jury for m in chain)
    return (f"After secrets and personal data are redacted, it is sent to {models} "
            f"({'a local server at ' + s.api_base if s.api_base else 'the provider configured by your organisation'}).")


@router.get("/", response_class=HTMLResponse)
def home(user: Annotated[dict, Depends(current_user)]):
    return RedirectResponse("/my", status_code=303)


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, user: Annotated[dict, Depends(current_user)], ctx=Depends(get_context)):
    return render(request, "submit.html", user=user, roles=ctx.roles.roles, types=ARTIFACT_TYPES,
                  destination=destination(ctx), form_key=secrets.token_urlsafe(16))


@router.post("/submit")
async def submit(request: Request, user: Annotated[dict, Depends(current_user)], ctx=Depends(get_context),
                 store=Depends(get_store)):
    form = await request.form(max_files=MAX_ARTIFACTS, max_fields=4 * MAX_ARTIFACTS + 10)
    check_csrf(request, str(form.get("csrf", "")))
    items = [Item(data=str(text), type=str(kind)) for text, kind in zip(form.getlist("text"), form.getlist("text_type"))
             if str(text).strip()]
    for upload, kind in zip(form.getlist("file"), form.getlist("file_type")):
        if isinstance(upload, UploadFile) and upload.filename:
            items.append(Item(data=await upload.read(ctx.settings.max_bytes + 1), type=str(kind)))
    role, team, note = (str(form.get(k, "")).strip() or None for k in ("role", "team", "note"))
    form_key = str(form.get("form_key", ""))[:64]
    values = dict(user=user, roles=ctx.roles.roles, types=ARTIFACT_TYPES, destination=destination(ctx),
                  role=role, team=team, note=note, form_key=form_key or secrets.token_urlsafe(16))
    if not items:
        return render(request, "submit.html", status_code=422, error="Paste a text or choose a file.", **values)
    items = items[:MAX_ARTIFACTS]
    # The page's one-time key: a double click or a resent form stores the submission once; the same
    # page sent again with other content is a new submission, hence the content in the key.
    content = request_hash([[i.data, i.type] for i in items] + [role, team, note])
    key = (f"form:{form_key}:{content}", content) if form_key else None
    try:
        enqueue(store, ctx, items, person=user["email"], role=role, team=team or user["team"],
                note=note, channel="web", actor=user["email"], idempotency=key)
    except (IntakeError, RubricError) as e:
        return render(request, "submit.html", status_code=422, error=str(e), **values)
    return RedirectResponse("/my", status_code=303)


@router.get("/my", response_class=HTMLResponse)
def my_reviews(request: Request, user: Annotated[dict, Depends(current_user)], store=Depends(get_store),
               ctx=Depends(get_context), page: int = 1):
    listing = person_artifacts(store, user["email"], page)
    submissions: dict[int, dict] = {}
    for row in listing.rows:
        sub = submissions.setdefault(row["submission_id"], {"id": row["submission_id"],
                                                            "created_at": row["created_at"], "artifacts": []})
        sub["artifacts"].append({**row, "shown": employee_state(row, ctx)})
    return render(request, "my.html", user=user, submissions=list(submissions.values()), listing=listing)


def employee_state(row: dict, ctx) -> str:
    """What an employee may know of an artifact: scoring progress, then only what release allows."""
    if row["review_id"] is None:
        return {"failed": "could not be scored yet; the team has been told"}.get(row["state"], row["state"] or "queued")
    if is_released(row["status"], ctx):
        return "released"
    if row["status"] == "evidence_requested":
        return f"your coach asks for more evidence: {row['evidence_request']}"
    return "awaiting coach"


def flag_titles(ctx) -> dict[str, str]:
    return {kind: ctx.policy.title(kind) for kind in ctx.policy.rules}


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, coach: Annotated[dict, Depends(require_coach)], store=Depends(get_store),
          ctx=Depends(get_context), tab: str = "awaiting", person: Annotated[str, Query(max_length=254)] = "",
          flag: str | None = None, role: str | None = None, team: str | None = None, level: str | None = None,
          page: int = 1):
    """One tab of the queue (awaiting a coach, decided, released): flagged first, by flag
    severity, then oldest first; a page at a time, with each person's role target and gap."""
    filters = QueueFilters(tab=tab if tab in TABS else "awaiting", person=person.strip() or None, flag=flag or None,
                           role=role or None, team=team or None,
                           level=int(level) if level and level.isdigit() else None)
    counts = queue_counts(store)
    listing = queue_reviews(store, filters, counts[filters.tab], page)
    targets = {key: r.target for key, r in ctx.roles.roles.items()}
    rows = [{**r, "target": targets.get(r["role"]),
             "gap": targets[r["role"]] - r["level"] if r["role"] in targets else None} for r in listing.rows]
    query = filters.model_dump(exclude_none=True, exclude={"tab"})
    return render(request, "queue.html", user=coach, listing=listing, rows=rows, counts=counts,
                  kinds=sorted(ctx.policy.rules), titles=flag_titles(ctx), roles=ctx.roles.roles, filters=filters,
                  tabs=TABS, query={"tab": filters.tab, **query})


@router.get("/reviews/{review_id:int}", response_class=HTMLResponse)
def review_page(review_id: RowId, request: Request, user: Annotated[dict, Depends(current_user)],
                store=Depends(get_store), ctx=Depends(get_context)):
    try:
        review = get_review(store, ctx, review_id)
    except NotFound:
        refuse_leader(user)
        raise HTTPException(status_code=404, detail="no such review") from None
    row = store.review_row(review_id)
    spans = [(e.start, e.end) for e in review.evidence if e.verified]
    lines = highlighted_lines(row["text"], spans)
    if user["role"] in ("coach", "admin"):
        samples = store.query("SELECT * FROM judge_samples WHERE review_id = ? ORDER BY id", [review_id])
        return render(request, "review_coach.html", user=user, r=review, final=final_view(store, ctx, review_id),
                      lines=lines, samples=samples, decisions=row["decisions"], rubric=ctx.rubric, note=row["note"],
                      titles=flag_titles(ctx), labels={i.id: i.label for i in ctx.rubric.indicators},
                      target=(ctx.roles.get(review.role) or None))
    try:
        final = visible_to_employee(store, ctx, review_id, user["email"])
    except NotFound:
        refuse_leader(user)  # their own released work they read like anyone
        raise HTTPException(status_code=404, detail="no such review") from None
    requests = [d["reason"] for d in row["decisions"] if d["action"] == "request_evidence"]
    return render(request, "review_employee.html", user=user, r=final, lines=lines, rubric=ctx.rubric,
                  requests=requests)


@router.post("/reviews/{review_id:int}/decide")
def decide_page(review_id: RowId, request: Request, coach: Annotated[dict, Depends(require_coach)],
                action: Annotated[str, Form()], csrf: Annotated[str, Form()],
                level: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
                summary: Annotated[str, Form()] = "", store=Depends(get_store), ctx=Depends(get_context)):
    check_csrf(request, csrf)
    try:
        decide(store, ctx, review_id, actor=coach["email"], action=action, admin=coach["role"] == "admin",
               level=int(level) if level.strip().isdigit() else None, reason=reason, summary=summary)
    except NotFound:
        raise HTTPException(status_code=404, detail="no such review") from None
    except OwnWork as e:
        raise HTTPException(status_code=403, detail=str(e)) from None
    except ValueError as e:
        raise HTTPException(status_code=422, detail=str(e)) from None
    return RedirectResponse(f"/reviews/{review_id}", status_code=303)
