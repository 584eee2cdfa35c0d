"""`reviewer demo seed`: a demo organisation with content for every page, dated over past weeks."""

from datetime import date
from pathlib import Path

from reviewer.accounts import authenticate
from reviewer.store import Store
from tests.test_cli import run

ORGANISATION = Path(__file__).resolve().parent.parent / "demo" / "organisation.yaml"


def test_the_demo_seeds_teams_reviews_and_decisions_over_weeks_once(settings):
    r = run("demo", "seed", "--organisation", str(ORGANISATION), "--db", str(settings.db))
    assert r.exit_code == 0, r.output
    assert "seeded 22 people in 4 teams" in r.output
    accounts = dict(line.split() for line in r.output.split("shown once):\n")[1].splitlines())
    store = Store(settings.db)
    assert all(authenticate(store, email, password) for email, password in accounts.items())
    assert {u["email"]: u["role"] for u in store.query("SELECT email, role FROM users")}["leader@demo.example"] == "leader"
    teams = {row["team"] for row in store.query("SELECT team FROM people")}
    assert teams == {"Customer Care", "Finance", "Platform", "Marketing"}
    weeks = {date.fromisoformat(row["created_at"][:10]).isocalendar()[:2]
             for row in store.query("SELECT created_at FROM decisions")}
    assert len(weeks) >= 5  # spread over the weeks, for the trends
    actions = {row["action"]: row["n"] for row in store.query("SELECT action, count(*) AS n FROM decisions GROUP BY action")}
    assert actions["release"] > 20 and actions["override"] > 0 and actions["confirm"] > 0
    overrides = store.query("SELECT reason FROM decisions WHERE action = 'override'")
    assert all(row["reason"] for row in overrides)
    statuses = store.query("SELECT initial_status, count(*) AS n FROM reviews GROUP BY initial_status")
    assert {row["initial_status"] for row in statuses} == {"auto_ok", "needs_review"}  # flagged and unflagged
    new = store.query("SELECT max(created_at) AS at FROM reviews")[0]["at"]
    assert new[:10] <= date.today().isoformat()

    again = run("demo", "seed", "--organisation", str(ORGANISATION), "--db", str(settings.db))
    assert again.exit_code == 2 and "reviews already; seed a fresh one" in again.output
