"""`reviewer demo seed`: a demo organisation with content for every page, dated over past weeks."""

from datetime import date
from pathlib import Path

from reviewer.accounts import authenticate
from reviewer.store import Store
from tests.test_cli import run
from tests.test_web import browser  # noqa: F401 (fixture)

ORGANISATION = Path(__file__).resolve().parent.parent / "demo" / "organisation.yaml"


def test_the_demo_seeds_teams_reviews_and_decisions_over_weeks_once(settings):
    r = run("demo", "seed", "--organisation", str(ORGANISATION), "--db", str(settings.db))
    assert r.exit_code == 0, r.output
    assert "seeded 22 people in 4 teams" in r.output
    accounts = dict(line.split() for line in r.output.split("shown once):\n")[1].splitlines())
    store = Store(settings.db)
    assert all(authenticate(store, email, password) for email, password in accounts.items())
    assert {u["email"]: u["role"] for u in store.query("SELECT email, role FROM users")}["leader@demo.example"] == "leader"
    assert Store(settings.db).user("admin@demo.example")["role"] == "admin"
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


def test_every_page_has_something_to_show_on_the_demo(settings, browser):
    from reviewer.web.app import create_app
    from tests.conftest import LiveServer
    from tests.test_web import SHOTS, sign_in

    r = run("demo", "seed", "--organisation", str(ORGANISATION), "--db", str(settings.db))
    accounts = dict(line.split() for line in r.output.split("shown once):\n")[1].splitlines())
    employee = next(e for e in accounts if e.split("@")[0] not in ("admin", "coach", "coach2", "leader"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with LiveServer(create_app(settings)) as server:
        coach = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(coach, server.url, "coach@demo.example", accounts["coach@demo.example"])
        coach.goto(server.url + "/queue")
        assert coach.locator("table tr").count() > 5 and "Decided (" in coach.inner_text("nav.tabs")
        coach.screenshot(path=str(SHOTS / "demo-queue.png"), full_page=True)
        coach.goto(server.url + "/agreement")
        assert int(coach.inner_text("#agreement-overall strong")) > 20
        assert coach.locator("#overrides tr").count() > 5
        coach.screenshot(path=str(SHOTS / "demo-agreement.png"))  # the figures and the weekly chart
        coach.goto(server.url + "/map")
        assert coach.locator("table.heatmap tr").count() == 1 + 8  # a row per team and role
        coach.screenshot(path=str(SHOTS / "demo-map.png"), full_page=True)

        leader = browser.new_page()
        sign_in(leader, server.url, "leader@demo.example", accounts["leader@demo.example"])
        leader.goto(server.url + "/map")
        teams = {row.split("\t")[0] for row in leader.locator("table.heatmap tr").all_inner_texts()[1:]}
        assert teams == {"Customer Care", "Finance"}

        ana = browser.new_page()
        sign_in(ana, server.url, employee, accounts[employee])
        ana.goto(server.url + "/my")
        assert ana.locator("#history circle").count() >= 1 or "awaiting coach" in ana.inner_text("main")
