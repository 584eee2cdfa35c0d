"""The team map through a real server: leaders see only their teams (page and CSV) and nothing of
the coach's pages, coaches and admins see every team, admins add leaders (also two at once), and
the page in Chromium at a laptop's and a phone's width with its filters."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from reviewer.accounts import create_user, issue_token
from reviewer.pipeline import load_context
from reviewer.service import Item, decide, submit
from reviewer.store import Store
from reviewer.teams import BELOW_HEADER, MAP_HEADER
from reviewer.web.app import create_app
from tests.conftest import LiveServer
from tests.test_security import form_csrf, signed_in
from tests.test_web import SHOTS, browser, sign_in  # noqa: F401 (fixture)

SAMPLES = Path(__file__).parent / "samples"
ONELINER = (SAMPLES / "l1-prompt-oneliner.txt").read_text()  # level 1 from the rules judge
CREW = (SAMPLES / "l5-agent-config-crewai-guardrails.yaml").read_text()
HOSTILE_TEAM = "<img src=x onerror=alert(1)>"


@pytest.fixture
def org(settings):
    """People in teams care, sales and one with a hostile name, scored; a leader of care, a leader
    of a team with nobody in it, a coach, an admin and an employee. Yields (url, review ids)."""
    store, ctx = Store(settings.db), load_context(settings)
    reviews = {}
    for person, team, role, text in [("ana@example.com", "care", "analyst", ONELINER),
                                     ("bo@example.com", "care", "analyst", CREW),
                                     ("cy@example.com", "care", "software_engineer", ONELINER),
                                     ("sal@example.com", "sales", "analyst", ONELINER),
                                     ("sam@example.com", "sales", "operations_specialist", CREW),
                                     ("hex@example.com", HOSTILE_TEAM, "analyst", ONELINER)]:
        [reviews[person]] = submit(store, ctx, [Item(data=text)], person=person, role=role, team=team, channel="cli")
    create_user(store, "lea@example.com", "leader", "lea-password-1", teams="care")
    create_user(store, "lone@example.com", "leader", "lone-password-1", teams="nobody-here")
    create_user(store, "coach@example.com", "coach", "coach-password-1")
    create_user(store, "root@example.com", "admin", "root-password-1")
    create_user(store, "emp@example.com", "employee", "emp-password-1")
    store.close()
    with LiveServer(create_app(settings)) as server:
        yield server.url, reviews


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_leader_sees_only_their_teams_in_the_page_and_the_csv(org):
    url, reviews = org
    lea = signed_in(url, "lea@example.com", "lea-password-1")
    page = lea.get("/map")
    assert page.status_code == 200 and 'href="/map"' in page.text and 'href="/queue"' not in page.text
    assert "ana@example.com" in page.text and "cy@example.com" in page.text
    for other in ("sales", "sal@example.com", "sam@example.com", "hex@example.com", "onerror"):
        assert other not in page.text, other
    other_team = lea.get("/map?team=sales").text
    assert 'id="empty"' in other_team and "sal@example.com" not in other_team and "<option>sales" not in other_team
    table = rows(lea.get("/map.csv").text)
    assert table[0] == MAP_HEADER and {(r[0], r[1]) for r in table[1:]} == {("care", "analyst"),
                                                                            ("care", "software_engineer")}
    assert rows(lea.get("/map.csv?team=sales").text) == [MAP_HEADER]  # another team: nothing, not an error
    below = lea.get("/map/below.csv")
    assert below.headers["content-type"].startswith("text/csv") and "attachment" in below.headers["content-disposition"]
    assert rows(below.text)[0] == BELOW_HEADER and {r[2] for r in rows(below.text)[1:]} == {"ana@example.com",
                                                                                             "cy@example.com"}


def test_a_leader_gets_403_on_coach_pages_and_the_coach_api(org, settings):
    url, reviews = org
    lea = signed_in(url, "lea@example.com", "lea-password-1")
    for path in ("/queue", f"/reviews/{reviews['ana@example.com']}", f"/reviews/{reviews['sal@example.com']}",
                 "/reviews/999999", "/admin/users"):
        r = lea.get(path)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), path
        assert "Not allowed" in r.text and "ana@example.com" not in r.text, path
    assert lea.get(f"/api/reviews/{reviews['ana@example.com']}").status_code == 403
    store = Store(settings.db)
    token = issue_token(store, "lea@example.com")
    store.close()
    api = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    for path in (f"/api/reviews/{reviews['ana@example.com']}", f"/api/reviews/{reviews['sal@example.com']}",
                 "/api/reviews/999999", "/api/people/ana@example.com/portfolio"):
        r = api.get(path)
        assert r.status_code == 403 and "detail" in r.json() and "level" not in r.json(), path
    assert api.post("/api/reviews", json={"text": "hello there, write a memo", "role": "analyst"}).status_code == 403
    # their own work, once a coach releases it, they read like any employee
    store, ctx = Store(settings.db), load_context(settings)
    [own] = submit(store, ctx, [Item(data=CREW)], person="lea@example.com", role="analyst", channel="cli")
    assert lea.get(f"/reviews/{own}").status_code == 403  # not released yet
    decide(store, ctx, own, actor="coach@example.com", action="release")
    store.close()
    assert lea.get(f"/reviews/{own}").status_code == 200 and api.get(f"/api/reviews/{own}").json()["id"] == own


def test_coaches_and_admins_see_every_team_and_employees_see_no_map(org):
    url, _ = org
    for email, password in (("coach@example.com", "coach-password-1"), ("root@example.com", "root-password-1")):
        client = signed_in(url, email, password)
        page = client.get("/map")
        assert "sal@example.com" in page.text and "ana@example.com" in page.text and 'href="/map"' in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text and HOSTILE_TEAM not in page.text  # escaped
        teams = {r[0] for r in rows(client.get("/map.csv").text)[1:]}
        assert teams == {"care", "sales", HOSTILE_TEAM}
    emp = signed_in(url, "emp@example.com", "emp-password-1")
    for path in ("/map", "/map.csv", "/map/below.csv"):
        assert emp.get(path).status_code == 403, path
    assert 'href="/map"' not in emp.get("/my").text
    assert httpx.get(url + "/map.csv", follow_redirects=False).status_code == 303  # signed out: to /login
    assert signed_in(url, "root@example.com", "root-password-1").get("/map?team=" + "x" * 101).status_code == 422


def test_an_override_shows_in_the_page_and_the_csv(org, settings):
    url, reviews = org
    store, ctx = Store(settings.db), load_context(settings)
    decide(store, ctx, reviews["ana@example.com"], actor="coach@example.com", action="override", level=6, reason="r")
    store.close()
    lea = signed_in(url, "lea@example.com", "lea-password-1")
    [care] = [r for r in rows(lea.get("/map.csv?role=analyst").text)[1:]]
    assert care[MAP_HEADER.index("level_1")] == "0" and care[MAP_HEADER.index("level_6")] == "2"  # ana and bo
    assert care[MAP_HEADER.index("share_at_or_above_target")] == "1.00"
    assert "ana@example.com" not in lea.get("/map").text  # no longer below target


def test_two_admins_add_the_same_leader_at_once(org, settings):
    url, _ = org
    admins = [signed_in(url, "root@example.com", "root-password-1") for _ in range(4)]

    def add(client):
        return client.post("/admin/users", data={"email": "new@example.com", "role": "leader", "teams": "care, sales",
                                                 "team": "", "csrf": form_csrf(client, "/admin/users")})

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(r.status_code for r in pool.map(add, admins))
    assert codes == [200, 422, 422, 422]
    store = Store(settings.db)
    user = store.user("new@example.com")
    assert user["role"] == "leader" and store.leader_teams(user["id"]) == {user["id"]: ["care", "sales"]}
    assert store.conn.execute("SELECT count(*) FROM leader_teams WHERE user_id = ?", [user["id"]]).fetchone()[0] == 2


def test_the_map_in_chromium_fits_a_phone_and_a_laptop_and_filters(org, browser):
    url, _ = org
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, url, "root@example.com", "root-password-1")
    page.click("header a[href='/map']")
    assert page.locator("h1").inner_text() == "Team proficiency map"
    assert page.locator("table.heatmap tr").count() == 1 + 5  # header, care x2, sales x2, the hostile team
    targets = page.locator("td.heat.target")
    assert targets.count() == 5 and targets.first.get_attribute("title") == "role target"
    assert page.locator("td.heat-4").count() >= 1 and page.locator("td.heat-0").count() >= 1
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url + "/map")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth"), width
        page.screenshot(path=str(SHOTS / f"team-map-{width}.png"), full_page=True)
    page.select_option("#fteam", "sales")
    page.click("form.filters button")
    assert "team=sales" in page.url and page.locator("table.heatmap tr").count() == 1 + 2
    assert "sales" in page.inner_text("table.heatmap") and "care" not in page.inner_text("table.heatmap")
    assert "team=sales" in page.get_attribute("#csv-map", "href")
    page.select_option("#frole", "analyst")
    page.click("form.filters button")
    assert page.locator("table.heatmap tr").count() == 1 + 1 and "sal@example.com" in page.inner_text("table.heatmap")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
    page.select_option("#fteam", "care")
    page.select_option("#frole", "operations_specialist")
    page.click("form.filters button")
    assert "No one with a reviewed artifact matches these filters" in page.inner_text("#empty")
    with page.expect_download() as download:
        page.click("#csv-map")
    assert rows(Path(download.value.path()).read_text()) == [MAP_HEADER]
    assert problems == []  # no CSP violation or script error


def test_a_leader_in_chromium_sees_their_team_or_a_clear_empty_map(org, browser):
    url, _ = org
    page = browser.new_page()
    sign_in(page, url, "lea@example.com", "lea-password-1")
    page.goto(url + "/map")
    assert "Your teams: care." in page.inner_text("main") and page.locator("header a[href='/queue']").count() == 0
    assert [o for o in page.locator("#fteam option").all_inner_texts()] == ["every team", "care"]
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    lone = browser.new_page()
    sign_in(lone, url, "lone@example.com", "lone-password-1")
    lone.goto(url + "/map")
    assert "No one in your teams has a reviewed artifact yet" in lone.inner_text("#empty")
    assert lone.locator("table.heatmap").count() == 0
    lone.screenshot(path=str(SHOTS / "team-map-empty.png"), full_page=True)


def test_an_admin_adds_a_leader_with_teams_on_the_users_page(org, browser, settings):
    url, _ = org
    page = browser.new_page()
    sign_in(page, url, "root@example.com", "root-password-1")
    page.goto(url + "/admin/users")
    page.fill("#nemail", "lead2@example.com")
    page.select_option("#nrole", "leader")
    page.fill("#nteams", "sales, care")
    page.click("button.primary")
    assert "Created lead2@example.com" in page.inner_text("#created")
    assert "leader of care, sales" in page.inner_text("table")
    page.fill("#nemail", "lead3@example.com")
    page.select_option("#nrole", "leader")
    page.click("button.primary")
    assert "a leader needs the teams they lead" in page.inner_text("[role=alert]")
    store = Store(settings.db)
    assert store.user("lead3@example.com") is None
    user = store.user("lead2@example.com")
    assert store.leader_teams(user["id"]) == {user["id"]: ["care", "sales"]}
