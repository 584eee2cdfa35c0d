"""The pages people use: sign in, submit artifacts, follow their reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from reviewer.accounts import authenticate
from reviewer.intake import ARTIFACT_TYPES, IntakeError
from reviewer.jobs import enqueue, submission_status
from reviewer.rubric import RubricError
from reviewer.service import Item
from reviewer.web.dependencies import (
    check_csrf,
    csrf_token,
    current_user,
    get_context,
    get_store,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
MAX_ARTIFACTS = 10


def render(request: Request, name: str, status_code: int = 200, **values) -> HTMLResponse:
    values.setdefault("user", None)
    return templates.TemplateResponse(request, name, {"csrf": csrf_token(request), **values}, status_code=status_code)


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


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, email: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf: Annotated[str, Form()], store=Depends(get_store)):
    check_csrf(request, csrf)
    user = authenticate(store, email, password)
    if user is None:
        return render(request, "login.html", status_code=401, error="Wrong email or password.", email=email)
    request.session.clear()  # a fresh session at sign-in: no fixation
    request.session["user"] = user["email"]
    store.audit(user["email"], "login", "user", user["id"])
    return RedirectResponse("/my", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()]):
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, user: Annotated[dict, Depends(current_user)], ctx=Depends(get_context)):
    return render(request, "submit.html", user=user, roles=ctx.roles.roles, types=ARTIFACT_TYPES,
                  destination=destination(ctx))


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
    values = dict(user=user, roles=ctx.roles.roles, types=ARTIFACT_TYPES, destination=destination(ctx),
                  role=role, team=team, note=note)
    if not items:
        return render(request, "submit.html", status_code=422, error="Paste a text or choose a file.", **values)
    try:
        enqueue(store, ctx, items[:MAX_ARTIFACTS], person=user["email"], role=role, team=team or user["team"],
                note=note, channel="web", actor=user["email"])
    except (IntakeError, RubricError) as e:
        return render(request, "submit.html", status_code=422, error=str(e), **values)
    request.app.state.worker.wake.set()
    return RedirectResponse("/my", status_code=303)


@router.get("/my", response_class=HTMLResponse)
def my_reviews(request: Request, user: Annotated[dict, Depends(current_user)], store=Depends(get_store)):
    ids = [r["id"] for r in store.db.query(
        """SELECT s.id FROM submissions s JOIN people p ON p.id = s.person_id
           WHERE p.email = ? ORDER BY s.id DESC""", [user["email"]])]
    return render(request, "my.html", user=user, submissions=[submission_status(store, i) for i in ids])
