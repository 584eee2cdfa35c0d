"""The coach queue: one tab at a time (awaiting a coach, decided, released), filters, the next
review to work, and bulk confirm-and-release of unflagged reviews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from reviewer.agreement import recent_alarm
from reviewer.listings import TAB_NAMES, TABS, QueueFilters, next_in_queue, queue_counts, queue_reviews
from reviewer.service import MAX_BULK, confirm_and_release
from reviewer.web.dependencies import get_context, get_store, require_coach
from reviewer.web.render import render
from reviewer.web.sessions import check_csrf

router = APIRouter(include_in_schema=False)
LEVELS = {str(n) for n in range(1, 7)}  # the level filter's values ("" and anything else: any level)


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, coach: Annotated[dict, Depends(require_coach)], store=Depends(get_store),
          ctx=Depends(get_context), tab: str = "awaiting", person: Annotated[str, Query(max_length=254)] = "",
          flag: str | None = None, role: str | None = None, team: str | None = None, level: str | None = None,
          page: int = 1, released: int | None = None, selected: int = 0):
    """One tab of the queue: flagged first, by flag severity, then oldest first; a page at a
    time, with each person's role target and gap."""
    filters = QueueFilters(tab=tab if tab in TABS else "awaiting", person=person.strip() or None, flag=flag or None,
                           role=role or None, team=team or None,
                           level=int(level) if level in LEVELS else None)
    counts = queue_counts(store)
    listing = queue_reviews(store, filters, counts[filters.tab], page)
    targets = {key: r.target for key, r in ctx.roles.roles.items()}
    rows = [{**r, "target": targets.get(r["role"]),
             "gap": targets[r["role"]] - r["level"] if r["role"] in targets else None} for r in listing.rows]
    query = filters.model_dump(exclude_none=True, exclude={"tab"})
    return render(request, "queue.html", user=coach, listing=listing, rows=rows, counts=counts,
                  kinds=sorted(ctx.policy.rules), titles=ctx.policy.titles(), roles=ctx.roles.roles, filters=filters,
                  tabs=TAB_NAMES, query={"tab": filters.tab, **query}, released=released, selected=selected,
                  agreement_alarm=recent_alarm(store, ctx.policy.agreement))


@router.get("/queue/next")
def next_review(coach: Annotated[dict, Depends(require_coach)], after: Annotated[int, Query(ge=1, le=2**63 - 1)],
                store=Depends(get_store)):
    """The review after `after` that a coach can act on, or the queue when none is left."""
    following = next_in_queue(store, after)
    return RedirectResponse(f"/reviews/{following}" if following else "/queue", status_code=303)


@router.post("/queue/release")
async def release_selected(request: Request, coach: Annotated[dict, Depends(require_coach)],
                           store=Depends(get_store)):
    """Confirm and release the selected reviews that are unflagged and undecided (others are left
    alone); back to the queue with how many were released."""
    form = await request.form(max_fields=MAX_BULK + 10)
    check_csrf(request, str(form.get("csrf", "")))
    ids = [int(i) for i in map(str, form.getlist("ids")) if i.isascii() and i.isdigit() and 0 < len(i) < 19]
    if not ids:
        return RedirectResponse("/queue", status_code=303)
    try:  # the writes wait for the database lock off the event loop
        done = await run_in_threadpool(confirm_and_release, store, ids, actor=coach["email"])
    except ValueError as e:
        raise HTTPException(status_code=422, detail=str(e)) from None
    return RedirectResponse(f"/queue?released={len(done)}&selected={len(ids)}", status_code=303)
