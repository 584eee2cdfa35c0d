"""The proficiency map: per team and role, people per level against the role's target, as a
heatmap page and as CSV. Leaders see only the teams they lead; coaches and admins see every team
(coaches already see every review in the queue, so the map tells them nothing new)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from reviewer.schemas import MAX_TEAM
from reviewer.store import Store
from reviewer.teams import FURTHEST, LEVELS, TeamMap, below_csv, heat, map_csv, proficiency_map
from reviewer.web.dependencies import get_context, get_store, require_map_viewer
from reviewer.web.render import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[dict, Depends(require_map_viewer)]
TeamFilter = Annotated[str, Query(max_length=MAX_TEAM)]
RoleFilter = Annotated[str, Query(max_length=100)]


def scope_of(store: Store, user: dict) -> list[str] | None:
    """The teams a viewer may see: a leader's own, everyone's (None) for coaches and admins."""
    return store.leader_teams(user["id"]).get(user["id"], []) if user["role"] == "leader" else None


def _map(store: Store, ctx, scope: list[str] | None, team: str, role: str) -> TeamMap:
    return proficiency_map(store, ctx, scope=scope, team=team.strip() or None, role=role.strip() or None)


def _csv(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, user: Viewer, store=Depends(get_store), ctx=Depends(get_context),
             team: TeamFilter = "", role: RoleFilter = ""):
    scope = scope_of(store, user)
    m = _map(store, ctx, scope, team, role)
    query = {k: v for k, v in (("team", team.strip()), ("role", role.strip())) if v}
    return render(request, "map.html", user=user, m=m, levels=LEVELS, heat=heat, furthest=FURTHEST,
                  rubric=ctx.rubric, roles=ctx.roles, team=query.get("team"), role=query.get("role"), query=query,
                  scope=scope)


@router.get("/map.csv")
def map_download(user: Viewer, store=Depends(get_store), ctx=Depends(get_context), team: TeamFilter = "",
                 role: RoleFilter = ""):
    """One line per team and role: people per level (as decided), at or above target, the share."""
    return _csv(map_csv(_map(store, ctx, scope_of(store, user), team, role)), "team-map.csv")


@router.get("/map/below.csv")
def below_download(user: Viewer, store=Depends(get_store), ctx=Depends(get_context), team: TeamFilter = "",
                   role: RoleFilter = ""):
    """Everyone below their role's target, furthest first."""
    return _csv(below_csv(_map(store, ctx, scope_of(store, user), team, role)), "below-target.csv")
