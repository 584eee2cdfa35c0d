"""A demo organisation on a fresh database (`reviewer demo seed`), so that every page has
something to show: teams and people with roles, their artifacts (drawn from the labelled eval
cases, scored by the configured judge) spread over past weeks, and coaches' decisions on them.
What the organisation looks like is data (demo/organisation.yaml)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from reviewer.accounts import create_user, new_password
from reviewer.evaluation.cases import LoadedCase, load_cases
from reviewer.pipeline import Context
from reviewer.service import Item, decide, review_row, submit
from reviewer.store import Store, now as real_now


class Decisions(BaseModel):
    release: float = Field(ge=0, le=1)
    decide_only: float = Field(ge=0, le=1)
    request_evidence: float = Field(ge=0, le=1)


class Organisation(BaseModel):
    seed: int
    weeks: int = Field(ge=1, le=52)
    cases: list[Path]
    artifacts_per_person: tuple[int, int]
    admins: list[str] = Field(default_factory=list)
    coaches: list[str] = Field(min_length=1)
    leaders: dict[str, list[str]] = Field(default_factory=dict)
    teams: dict[str, dict[str, int]]
    decisions: Decisions
    fresh_days: int = Field(ge=0)


class Seeded(BaseModel):
    people: int
    reviews: int
    decided: int
    released: int
    evidence_requested: int
    accounts: dict[str, str] = Field(description="email -> password, shown once")


class NotEmpty(ValueError):
    """The database has reviews already: a demo goes into a fresh one."""


def load_organisation(path: Path) -> Organisation:
    return Organisation(**yaml.safe_load(path.read_text(encoding="utf-8")))


def _stamp(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds")


def seed(store: Store, ctx: Context, org: Organisation, root: Path, now: datetime | None = None) -> Seeded:
    """Create the organisation's accounts, submissions and decisions, dated over the past weeks."""
    if reviews := store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]:
        raise NotEmpty(f"the database has {reviews} reviews already; seed a fresh one, e.g. "
                       "REVIEWER_DB=data/demo.db REVIEWER_DB_CREATE=1 reviewer demo seed")
    rng, now = random.Random(org.seed), now or datetime.now(UTC)
    cases = load_cases(*(root / folder for folder in org.cases))
    start = now - timedelta(weeks=org.weeks)
    people = [(f"{role.replace('_', '.')}{n + 1}.{team.split()[0].lower()}@demo.example", role, team)
              for team, roles in org.teams.items() for role, count in roles.items() for n in range(count)]
    work = sorted(((start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds())), person, rng.choice(cases))
                   for person in people for _ in range(rng.randint(*org.artifacts_per_person))), key=lambda w: w[0])
    roles = {**{e: "admin" for e in org.admins}, **{e: "coach" for e in org.coaches},
             **{e: "leader" for e in org.leaders}, people[0][0]: "employee"}
    accounts = {email: new_password() for email in roles}
    for email, password in accounts.items():
        create_user(store, email, roles[email], password, teams=org.leaders.get(email))
    counts = {"decided": 0, "released": 0, "evidence_requested": 0}
    try:
        for at, (email, role, team), case in work:
            store.clock = lambda at=at: _stamp(at)
            [review_id] = submit(store, ctx, [Item(data=case.data, type=case.case.artifact_type)], person=email,
                                 role=role, team=team, note=f"demo: the eval case {case.id}", channel="demo",
                                 actor=email)
            decided_at = at + timedelta(hours=rng.uniform(4, 72))
            if decided_at > now - timedelta(days=org.fresh_days):
                continue  # recent work still awaits a coach
            store.clock = lambda t=decided_at: _stamp(t)
            what = _coach(store, ctx, review_id, case, rng.choice(org.coaches), rng.random(), org.decisions)
            counts[what] = counts.get(what, 0) + 1
    finally:
        store.clock = real_now
    return Seeded(people=len(people), reviews=len(work), decided=counts["decided"] + counts["released"],
                  released=counts["released"], evidence_requested=counts["evidence_requested"], accounts=accounts)


def _coach(store: Store, ctx: Context, review_id: int, case: LoadedCase, coach: str, draw: float,
           shares: Decisions) -> str:
    """What a coach did with the review: the case's label is the coach's level (an override
    with the case's notes as the reason where the judge disagrees), then perhaps a release."""
    if draw >= shares.release + shares.decide_only + shares.request_evidence:
        return "awaiting"
    if draw >= shares.release + shares.decide_only:
        decide(store, ctx, review_id, actor=coach, action="request_evidence",
               reason="Please add an example of you checking the model's output against a source.")
        return "evidence_requested"
    label = case.case.expected.level
    if review_row(store, review_id)["level"] == label:
        decide(store, ctx, review_id, actor=coach, action="confirm")
    else:
        decide(store, ctx, review_id, actor=coach, action="override", level=label,
               reason=_first_sentence(case.case.notes) or f"the labelled level of {case.id}")
    if draw >= shares.release:
        return "decided"
    decide(store, ctx, review_id, actor=coach, action="release")
    return "released"


def _first_sentence(notes: str | None) -> str:
    """A case's notes as a coach's short reason: their first sentence, at most 200 characters."""
    return (notes or "").strip().split("\n")[0].split(". ")[0][:200]
