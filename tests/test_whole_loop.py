"""The whole review loop in a real browser, at a laptop's width and a phone's: an employee submits
an uploaded file; a coach finds it with the queue's filters, overrides the level and asks for
more evidence; the employee answers; the coach releases; the employee reads the coach's level
with that level's gaps; the agreement page and the team map show the decision; export-cases
writes it as an eval case that `reviewer eval` reads back. Every page visited fits the width."""

import json
import time
from pathlib import Path

import pytest

from reviewer.store import Store
from tests.test_cli import run
from tests.test_web import SHOTS, browser, sign_in, site  # noqa: F401 (fixtures)

SAMPLE = Path(__file__).parent / "samples" / "l3-transcript-grounded-citations.md"


def fits(page, width: int) -> None:
    """No horizontal overflow: the document is no wider than the viewport."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, page.url)


def visit(page, url: str, width: int) -> None:
    page.goto(url)
    fits(page, width)


def until(page, url: str, text: str, where: str = "main", timeout: float = 60) -> None:
    """Reload until `text` shows (the worker process scores in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if text in page.inner_text(where):
            return
        assert time.monotonic() < deadline, f"{text!r} never showed on {url}"
        time.sleep(0.3)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_whole_loop(site, browser, settings, tmp_path, width):
    view = {"width": width, "height": 900}
    ana = browser.new_page(viewport=view)
    sign_in(ana, site, "ana@example.com", "ana-password-1")
    visit(ana, site + "/submit", width)
    ana.select_option("#role", "analyst")
    ana.set_input_files("input[name=file]", str(SAMPLE))
    ana.fill("#note", "the supplier comparison for the Q3 review; I checked every citation")
    ana.click("button.primary")
    ana.wait_for_url(site + "/my")
    until(ana, site + "/my", "awaiting coach")
    fits(ana, width)

    coach = browser.new_page(viewport=view)
    sign_in(coach, site, "cy@example.com", "cy-password-333")
    visit(coach, site + "/queue", width)
    coach.fill("#fperson", "ana@")
    coach.select_option("#frole", "analyst")
    coach.click("form.filters button.primary")
    assert "person=ana%40" in coach.url and "role=analyst" in coach.url
    fits(coach, width)
    assert coach.locator("table tr").count() == 2  # the header and ana's review
    coach.click("table a[href^='/reviews/']")
    review_url = coach.url
    review_id = int(review_url.rsplit("/", 1)[1])
    fits(coach, width)
    assert "I checked every citation" in coach.inner_text("#employee-note")
    automated = int(coach.inner_text(".level").split("Automated level ")[1].split(":")[0])
    decided = automated - 1 if automated > 1 else automated + 1
    coach.select_option("#olevel", str(decided))
    coach.fill("#oreason", "the citations are there but nothing checks the numbers")
    coach.click("#override")
    coach.fill("#ereason", "show a chat where you corrected a figure the model got wrong")
    coach.click("#request")
    fits(coach, width)

    visit(ana, site + "/my", width)
    ana.click("a.answer")
    fits(ana, width)
    ana.fill("#text0", "User: total the three quotes.\nAssistant: $41,200.\n"
                       "User: That's wrong: 12,400 + 15,900 + 13,100 is 41,400. Where did $41,200 come from?\n"
                       "Assistant: You're right, I dropped 200: $41,400.\n")
    ana.click("button.primary")
    ana.wait_for_url(site + "/my")
    assert "you sent more evidence" in ana.inner_text("main")
    until(coach, review_url, "Its review: level", "#answers")
    fits(coach, width)
    coach.click("#release")
    fits(coach, width)

    visit(ana, site + "/my", width)
    assert f"reviewed at level {decided}" in ana.inner_text(".released-notice")
    ana.click(".released-notice a")
    fits(ana, width)
    assert f"Level {decided}:" in ana.inner_text(".level")
    shown_gaps = ana.locator("#feedback ul.gaps li").all_inner_texts()
    final = ana.request.get(f"{site}/api/reviews/{review_id}").json()  # the browser's own session
    assert final["level"] == decided and final["automated_level"] == automated
    assert final["feedback"]["level"] == decided
    assert shown_gaps == [g["text"] + (f" (level {g['level']}, {g['dimension']})" if g["level"] else "")
                          for g in final["feedback"]["gaps"]]
    ana.screenshot(path=str(SHOTS / f"loop-released-{width}.png"), full_page=True)

    visit(coach, site + "/agreement", width)
    assert "1 review settled by a coach: exact agreement 0%" in " ".join(coach.inner_text("#agreement-overall").split())
    assert "the citations are there but nothing checks the numbers" in coach.inner_text("#overrides")
    # the map counts ana once, at her portfolio level (the coach's level for the decided review)
    portfolio = coach.request.get(f"{site}/api/people/ana@example.com/portfolio").json()
    visit(coach, site + "/map", width)
    cells = coach.locator("table.heatmap tr", has_text="care").first.locator("td.heat")
    assert [c.strip() for c in cells.all_inner_texts()] == ["1" if n == portfolio["level"] else "0" for n in range(1, 7)]
    coach.screenshot(path=str(SHOTS / f"loop-map-{width}.png"), full_page=True)

    cases = tmp_path / "coach-cases"
    assert run("export-cases", str(cases), "--db", str(settings.db)).exit_code == 0
    r = run("eval", "--cases", str(cases), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["n"] == 1  # the decided review (the evidence's own review awaits a coach)
    [case] = [p for p in cases.glob("artifact-*.yaml")]
    assert f"level: {decided}" in case.read_text() and f"automated_level: {automated}" in case.read_text()
