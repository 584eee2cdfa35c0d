"""The coach agreement page: how often automation agrees with coaches' decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from reviewer.agreement import agreement, decision_rows, recent_alarm, since_date
from reviewer.web.dependencies import get_context, get_store, require_coach
from reviewer.web.render import render

router = APIRouter(include_in_schema=False)
OVERRIDES_SHOWN = 100  # the newest; `reviewer agreement --json` lists them all
WEEKS_CHARTED = 26


@router.get("/agreement", response_class=HTMLResponse)
def agreement_page(request: Request, coach: Annotated[dict, Depends(require_coach)], store=Depends(get_store),
                   ctx=Depends(get_context), since: Annotated[str, Query(max_length=10)] = "",
                   rubric_version: Annotated[str, Query(max_length=100)] = ""):
    """Exact and adjacent agreement and QWK overall, per rubric version, artifact type, judge and
    week, the overrides with their reasons, and the policy's warning when agreement is low."""
    try:
        start = since_date(since) if since.strip() else None
    except ValueError as e:
        raise HTTPException(status_code=422, detail=str(e)) from None
    report = agreement(decision_rows(store, start, rubric_version.strip() or None))
    policy = ctx.policy.agreement
    return render(request, "agreement.html", user=coach, report=report, policy=policy,
                  alarm=recent_alarm(store, policy),
                  weeks=list(report["by_week"].items())[-WEEKS_CHARTED:], shown=OVERRIDES_SHOWN,
                  since=since.strip(), rubric_version=rubric_version.strip())
