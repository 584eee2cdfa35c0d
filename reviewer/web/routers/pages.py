"""The employee's pages: submit artifacts, follow them and their levels against the role target."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile  # what request.form() gives (FastAPI's is a subclass)

from reviewer.intake import ARTIFACT_TYPES, IntakeError
from reviewer.jobs import enqueue
from reviewer.listings import person_artifacts, person_history
from reviewer.rubric import RubricError
from reviewer.service import Item, is_released, request_hash
from reviewer.web.dependencies import current_user, get_context, get_store
from reviewer.web.render import render
from reviewer.web.sessions import check_csrf

router = APIRouter(include_in_schema=False)
MAX_ARTIFACTS = 10
NOTICE_DAYS = 14  # how long /my announces a released review


def destination(ctx) -> str:
    """Where the text goes, in plain words, for the submit page."""
    s = ctx.settings
    if ctx.llm is None:
        return "It is scored on this server by the offline rules judge; nothing leaves the machine."
    models = ", ".join(m.name for chain in ctx.llm.jury for m in chain)
    return (f"After secrets and personal data are redacted, it is sent to {models} "
            f"({'a local server at ' + s.api_base if s.api_base else 'the provider configured by your organisation'}).")


async def form_items(form, max_bytes: int) -> list[Item]:
    """The artifacts a form carries: pasted texts (`text`, `text_type`) and files (`file`, `file_type`)."""
    items = [Item(data=str(text), type=str(kind)) for text, kind in zip(form.getlist("text"), form.getlist("text_type"))
             if str(text).strip()]
    for upload, kind in zip(form.getlist("file"), form.getlist("file_type")):
        if isinstance(upload, UploadFile) and upload.filename:
            items.append(Item(data=await upload.read(max_bytes + 1), type=str(kind)))
    return items


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
    items = await form_items(form, ctx.settings.max_bytes)
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
    """The employee's submissions a page at a time, a notice of reviews released lately, and the
    history of their released levels against their role's target."""
    listing = person_artifacts(store, user["email"], page)
    submissions: dict[int, dict] = {}
    for row in listing.rows:
        sub = submissions.setdefault(row["submission_id"], {"id": row["submission_id"],
                                                            "created_at": row["created_at"], "artifacts": []})
        sub["artifacts"].append({**row, "shown": employee_state(row, ctx)})
    history = [r for r in person_history(store, user["email"]) if is_released(r["status"], ctx)]
    since = (datetime.now(UTC) - timedelta(days=NOTICE_DAYS)).isoformat()
    person = store.person(user["email"])
    role = ctx.roles.get(person["role"]) if person else None
    return render(request, "my.html", user=user, submissions=list(submissions.values()), listing=listing,
                  history=history, role=role, notices=[r for r in reversed(history) if (r["released_at"] or "") > since])


def employee_state(row: dict, ctx) -> str:
    """What an employee may know of an artifact: scoring progress, then only what release allows."""
    if row["review_id"] is None:
        return {"failed": "could not be scored yet; the team has been told"}.get(row["state"], row["state"] or "queued")
    if is_released(row["status"], ctx):
        return "released"
    if row["status"] == "evidence_requested":
        return f"your coach asks for more evidence: {row['evidence_request']}"
    if row["status"] == "evidence_answered":
        return "you sent more evidence; awaiting coach"
    return "awaiting coach"

