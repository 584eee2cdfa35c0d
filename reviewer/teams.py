"""The proficiency map for leaders: per team and role, how many people stand at each level, how
many are at or above the role's target, and who is furthest below it.

A person's level is their portfolio estimate (the rubric's rule over the newest review of each
of their artifacts, with a coach's level where one overrode it), computed from one query over
everybody (listings.latest_by_person); everything after that query is a pure function, and so
are the CSV forms of the map.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from itertools import groupby
from math import ceil

from defusedcsv import csv  # the csv module, with cells that start like a formula quoted
from pydantic import BaseModel

from reviewer.aggregate import person_estimate
from reviewer.listings import latest_by_person
from reviewer.pipeline import Context
from reviewer.rubric import PortfolioRule, Roles
from reviewer.store import Store

LEVELS = range(1, 7)
HEAT_BUCKETS = 4  # cell shades above empty (app.css .heat-1 ... .heat-4)
FURTHEST = 3      # people below target a row lists on the page and in the terminal


class PersonLevel(BaseModel):
    person: str
    team: str | None
    role: str | None
    target: int | None
    level: int

    @property
    def below(self) -> int:
        """Levels under the role's target (0 at or above it, or without a target)."""
        return max(0, self.target - self.level) if self.target is not None else 0


class MapRow(BaseModel):
    """One team and role: people per level 1-6 and how they stand against the role's target."""

    team: str | None
    role: str | None
    role_name: str | None
    target: int | None
    counts: list[int]
    below: list[PersonLevel]  # everyone under the target, furthest first

    @property
    def people(self) -> int:
        return sum(self.counts)

    @property
    def at_target(self) -> int | None:
        """People at or above the target; None when the role has no target."""
        return None if self.target is None else sum(self.counts[self.target - 1:])

    @property
    def share(self) -> float | None:
        return None if self.at_target is None else self.at_target / self.people


class TeamMap(BaseModel):
    rows: list[MapRow]
    teams: list[str]  # the teams in the viewer's scope, for the filter
    roles: list[str]  # the roles found in that scope
    peak: int         # the largest count in a cell: the darkest shade


def person_levels(reviews: Sequence[dict], rule: PortfolioRule, roles: Roles) -> list[PersonLevel]:
    """Each person's estimate from their reviews (rows ordered by person, as
    listings.latest_by_person gives them), with their team, role and the role's target."""
    out = []
    for person, rows in groupby(reviews, key=lambda r: r["person"]):
        rows = list(rows)
        role = roles.get(rows[0]["role"])
        out.append(PersonLevel(person=person, team=rows[0]["team"], role=rows[0]["role"],
                               target=role.target if role else None,
                               level=person_estimate(rows, rule).level))
    return out


def _row_key(p: PersonLevel) -> tuple:
    return p.team is None, p.team or "", p.role is None, p.role or ""


def build_map(people: Sequence[PersonLevel], roles: Roles, *, scope: Collection[str] | None = None,
              team: str | None = None, role: str | None = None) -> TeamMap:
    """The map of the people in `scope` (a leader's teams; None: everyone), narrowed to one team
    and/or role when given. Rows by team then role; people without a team or role form rows of
    their own (last)."""
    seen = [p for p in people if scope is None or p.team in scope]
    chosen = [p for p in seen if (team is None or p.team == team) and (role is None or p.role == role)]
    rows = []
    for _, group in groupby(sorted(chosen, key=_row_key), key=_row_key):
        group = list(group)
        first = group[0]
        defined = roles.get(first.role)
        rows.append(MapRow(team=first.team, role=first.role, role_name=defined.name if defined else None,
                           target=first.target, counts=[sum(p.level == lv for p in group) for lv in LEVELS],
                           below=sorted((p for p in group if p.below), key=lambda p: (-p.below, p.person))))
    return TeamMap(rows=rows, teams=sorted({p.team for p in seen if p.team is not None}),
                   roles=sorted({p.role for p in seen if p.role is not None}),
                   peak=max((c for r in rows for c in r.counts), default=0))


def proficiency_map(store: Store, ctx: Context, *, scope: Collection[str] | None = None,
                    team: str | None = None, role: str | None = None) -> TeamMap:
    """The map from the store: one query over everybody, then the pure steps above."""
    people = person_levels(latest_by_person(store, scores=False), ctx.rubric.portfolio, ctx.roles)
    return build_map(people, ctx.roles, scope=scope, team=team, role=role)


def heat(count: int, peak: int) -> int:
    """The shade of a cell: 0 when empty, else 1..HEAT_BUCKETS in proportion to the peak."""
    return 0 if count == 0 else ceil(HEAT_BUCKETS * count / peak)


MAP_HEADER = ["team", "role", "role_name", "target", "people", *(f"level_{lv}" for lv in LEVELS),
              "at_or_above_target", "share_at_or_above_target"]
BELOW_HEADER = ["team", "role", "person", "level", "target", "levels_below"]


def _csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def map_csv(m: TeamMap) -> str:
    """One line per team and role, levels as decided (a coach's override wins)."""
    return _csv(MAP_HEADER, [[r.team, r.role, r.role_name, r.target, r.people, *r.counts, r.at_target,
                              None if r.share is None else f"{r.share:.2f}"] for r in m.rows])


def below_csv(m: TeamMap) -> str:
    """Everyone below their role's target, by team and role, furthest first."""
    return _csv(BELOW_HEADER, [[p.team, p.role, p.person, p.level, p.target, p.below]
                               for r in m.rows for p in r.below])
