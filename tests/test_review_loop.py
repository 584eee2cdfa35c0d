"""Working the queue and closing the loop, in a real browser against a real server: keyboard
shortcuts and "save and next", bulk confirm-and-release, feedback edits with a preview, the
employee's answer to a request for more evidence, their level history and release notices."""

import threading
import time

import httpx
import pytest

from reviewer.accounts import create_user
from reviewer.schemas import Flag
from reviewer.store import Store
from tests.test_security import form_csrf, signed_in
from tests.test_web import CREW, browser, sign_in, site  # noqa: F401 (fixtures)

FLAG = Flag(kind="low_confidence", severity=2, reason="confidence 0.30 is below 0.475")


def seed(settings, people: list[str], flagged: set[int] = frozenset(), role: str = "analyst") -> list[int]:
    """Scored reviews stored directly (no worker needed), oldest first; the `flagged` indexes carry a flag."""
    from reviewer.pipeline import assess, load_context
    from reviewer.service import store_review, store_submission

    ctx = load_context(settings)
    a = assess(CREW, None, role, ctx)
    store, ids = Store(settings.db), []
    with store.transaction():
        for n, person in enumerate(people):
            _, [artifact_id] = store_submission(store, [a.artifact], person=person, role=role, team=None, note=None,
                                                channel="test", actor="t")
            ids.append(store_review(store, ctx, artifact_id, a, ctx.roles.get(role).target, "t",
                                    flags=[FLAG] if n in flagged else []))
    return ids


def actions(settings, review_id: int) -> list[str]:
    return [r["action"] for r in Store(settings.db).query(
        "SELECT action FROM decisions WHERE review_id = ? ORDER BY id", [review_id])]


def test_keys_and_save_and_next_walk_the_queue_in_its_order(site, browser, settings):
    first, second, third, flagged = seed(settings, ["ana@example.com"] * 4, flagged={3})
    page = browser.new_page()
    sign_in(page, site, "cy@example.com", "cy-password-333")
    page.goto(f"{site}/reviews/{flagged}")  # the queue's first: flagged ones come first
    page.keyboard.press("n")
    page.wait_for_url(f"{site}/reviews/{first}")
    page.keyboard.press("c")  # confirm and next
    page.wait_for_url(f"{site}/reviews/{second}")
    assert actions(settings, first) == ["confirm"]
    page.keyboard.press("o")
    assert page.evaluate("document.activeElement.id") == "olevel"
    page.select_option("#olevel", "5")
    page.fill("#oreason", "clear checks on every step")  # typing "c" or "n" in a field is text, not a key
    assert page.url == f"{site}/reviews/{second}" and actions(settings, second) == []
    page.click("#override-next")
    page.wait_for_url(f"{site}/reviews/{third}")
    assert actions(settings, second) == ["override"]
    page.keyboard.press("r")  # release and next: wraps round to the flagged one still waiting
    page.wait_for_url(f"{site}/reviews/{flagged}")
    assert actions(settings, third) == ["release"]
    page.keyboard.press("c")
    page.wait_for_url(f"{site}/queue")  # nothing left to act on
    assert "Awaiting a coach (0)" in page.inner_text("nav.tabs")


def test_a_feedback_edit_is_previewed_exactly_as_the_employee_then_sees_it(site, browser, settings):
    [review_id] = seed(settings, ["ana@example.com"])
    coach = browser.new_page()
    sign_in(coach, site, "cy@example.com", "cy-password-333")
    coach.goto(f"{site}/reviews/{review_id}")
    first_strength = coach.input_value("#estrengths").splitlines()[0]
    coach.fill("#esummary", "A solid crew: the <b>next</b> move is to check its output.")
    coach.fill("#estrengths", first_strength + "\nGives each agent one job | role: Analyst")
    coach.fill("#egaps", "No check of the prices it finds")
    coach.fill("#esteps", "Add a reviewer agent that compares prices with a second source\n"
                          "Rotate the key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH you pasted")
    coach.click("#preview-button")
    preview = {part: coach.inner_html(f"#preview {part}") for part in (".summary", "ul.strengths", "ul.gaps",
                                                                      "ul.next-steps")}
    assert "&lt;b&gt;next&lt;/b&gt;" in preview[".summary"]  # escaped, not markup
    assert "<q>role: Analyst</q>" in preview["ul.strengths"] and "No check of the prices it finds" in preview["ul.gaps"]
    assert "sk-proj-AbCd" not in preview["ul.next-steps"] and "REDACTED" in preview["ul.next-steps"]
    assert actions(settings, review_id) == []  # a preview stores nothing
    assert coach.input_value("#egaps") == "No check of the prices it finds"  # the edit stays in the form
    coach.click("#edit")
    coach.click("#release")
    assert actions(settings, review_id) == ["edit_feedback", "release"]

    ana = browser.new_page()
    sign_in(ana, site, "ana@example.com", "ana-password-1")
    ana.goto(f"{site}/reviews/{review_id}")
    assert {part: ana.inner_html(f"#feedback {part}") for part in preview} == preview
    assert "sk-proj-AbCd" not in Store(settings.db).query("SELECT group_concat(feedback) AS f FROM decisions")[0]["f"]


def test_an_override_after_an_edit_rebuilds_the_feedback_for_the_new_level(settings):
    from reviewer.feedback import FeedbackText
    from reviewer.pipeline import load_context
    from reviewer.service import decide, final_view

    [review_id] = seed(settings, ["ana@example.com"])
    ctx, store = load_context(settings), Store(settings.db)
    automated = final_view(store, ctx, review_id)
    decide(store, ctx, review_id, actor="cy@example.com", action="edit_feedback",
           edit=FeedbackText(summary="Edited for this level.", gaps="A gap the coach saw"))
    edited = final_view(store, ctx, review_id).feedback
    assert edited.summary == "Edited for this level." and [g.text for g in edited.gaps] == ["A gap the coach saw"]
    assert edited.gaps[0].indicator == "coach" and edited.strengths == []
    new_level = automated.level % 6 + 1
    decide(store, ctx, review_id, actor="cy@example.com", action="override", level=new_level, reason="r")
    rebuilt = final_view(store, ctx, review_id).feedback
    assert rebuilt.level == new_level and rebuilt.summary != "Edited for this level."
    assert all(g.indicator != "coach" for g in rebuilt.gaps)  # the gaps of the new level, not the old edit
    decide(store, ctx, review_id, actor="cy@example.com", action="edit_feedback",
           edit=FeedbackText(summary="Edited after the override."))
    final = final_view(store, ctx, review_id)
    assert final.level == new_level and final.feedback.summary == "Edited after the override."
    assert final.feedback.gaps == [] and final.automated_level == automated.level
    with pytest.raises(ValueError, match="at most 10 gaps"):
        decide(store, ctx, review_id, actor="cy@example.com", action="edit_feedback",
               edit=FeedbackText(summary="s", gaps="\n".join(f"gap {n}" for n in range(11))))


def test_bulk_confirm_and_release_takes_only_unflagged_undecided_reviews(site, browser, settings):
    ids = seed(settings, ["ana@example.com"] * 3 + ["cy@example.com", "ana@example.com"], flagged={4})
    page = browser.new_page()
    sign_in(page, site, "cy@example.com", "cy-password-333")
    page.goto(site + "/queue")
    assert page.locator("input[name=ids]").count() == 4  # not the flagged one
    assert page.locator(f"input[name=ids][value='{ids[4]}']").count() == 0
    page.check("#select-all")
    page.click("#bulk-release")
    page.wait_for_url("**/queue?released=*")
    assert "Confirmed and released 3 of 4 selected" in page.inner_text("#bulk-result")  # cy's own work is left
    assert [actions(settings, i) for i in ids] == [["confirm", "release"]] * 3 + [[], []]
    assert "Released (3)" in page.inner_text("nav.tabs")
    coach = signed_in(site, "cy@example.com", "cy-password-333")
    r = coach.post("/queue/release", data={"csrf": form_csrf(coach, "/queue"), "ids": [str(ids[4]), "999"]})
    assert r.status_code == 303 and "released=0" in r.headers["location"]
    assert actions(settings, ids[4]) == []  # a flagged review needs a review of its own, whatever is posted
    assert coach.post("/queue/release", data={"ids": [str(ids[4])]}).status_code == 403  # no CSRF token


def test_two_coaches_bulk_releasing_the_same_reviews_record_each_decision_once(site, settings):
    store = Store(settings.db)
    create_user(store, "dan@example.com", "coach", "dan-password-4444")
    ids = seed(settings, [f"p{n}@example.com" for n in range(12)])
    coaches = [signed_in(site, email, password) for email, password in
               (("cy@example.com", "cy-password-333"), ("dan@example.com", "dan-password-4444"))]
    tokens = [form_csrf(c, "/queue") for c in coaches]
    barrier, answers = threading.Barrier(2), []

    def release(n: int) -> None:
        barrier.wait()
        answers.append(coaches[n].post("/queue/release", data={"csrf": tokens[n], "ids": [str(i) for i in ids]}))

    threads = [threading.Thread(target=release, args=(n,)) for n in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(r.status_code for r in answers) == [303, 303]
    released = sorted(int(r.headers["location"].split("released=")[1].split("&")[0]) for r in answers)
    assert sum(released) == 12  # every review released by exactly one of them
    assert all(actions(settings, i) == ["confirm", "release"] for i in ids)
    bulk = [e for e in store.audit_entries() if e["detail"].get("bulk")]
    assert len(bulk) == 24 and {e["actor"] for e in bulk} <= {"cy@example.com", "dan@example.com"}


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_employee_answers_a_request_for_evidence_with_an_uploaded_file(site, browser, settings, tmp_path):
    [review_id] = seed(settings, ["ana@example.com"])
    coach = browser.new_page()
    sign_in(coach, site, "cy@example.com", "cy-password-333")
    coach.goto(f"{site}/reviews/{review_id}")
    coach.fill("#ereason", "show me the transcript where you checked the prices")
    coach.click("#request")

    ana = browser.new_page()
    sign_in(ana, site, "ana@example.com", "ana-password-1")
    ana.goto(site + "/my")
    ana.click("a.answer")
    assert "show me the transcript where you checked the prices" in ana.inner_text("#coach-request")
    ana.click("button.primary")  # nothing given
    assert "Paste the evidence or choose one file" in ana.inner_text("[role=alert]")
    transcript = tmp_path / "checking-prices.md"
    transcript.write_text("User: list the prices you found, with the page each came from.\n"
                          "Assistant: Widget A is $12 (example.com/a).\n"
                          "User: example.com/a says $14. Where does $12 come from? Check again against the page.\n"
                          "Assistant: You are right, I misread it: $14.\n")
    ana.set_input_files("input[name=file]", str(transcript))
    ana.fill("#note", "the run from last Tuesday")
    ana.click("button.primary")
    ana.wait_for_url(site + "/my")
    assert "you sent more evidence; awaiting coach" in ana.inner_text("main")

    coach.goto(site + "/queue")
    assert "evidence answered" in coach.inner_text("main")

    def scored() -> bool:  # by the site's worker process
        coach.goto(f"{site}/reviews/{review_id}")
        return "Its review: level" in coach.inner_text("#answers")

    wait_for(scored)
    assert "the run from last Tuesday" in coach.inner_text("#answers")
    coach.click("#answers summary")
    assert "Where does $12 come from?" in coach.inner_text("#answers pre")
    coach.click("#answers a")
    assert f"review #{review_id}" in coach.inner_text("#answers-to")  # the answer's own review links back

    # answered once: the form and a second answer are refused with a page, and others see nothing
    assert ana.goto(f"{site}/reviews/{review_id}/evidence").status == 409
    bo = signed_in(site, "bo@example.com", "bo-password-22")
    assert bo.get(f"/reviews/{review_id}/evidence").status_code == 404


def test_two_answers_sent_at_once_attach_one(site, settings):
    from reviewer.pipeline import load_context
    from reviewer.service import decide

    [review_id] = seed(settings, ["ana@example.com"])
    decide(Store(settings.db), load_context(settings), review_id, actor="cy@example.com", action="request_evidence",
           reason="one more example please")
    clients = [signed_in(site, "ana@example.com", "ana-password-1") for _ in range(2)]
    tokens = [form_csrf(c, f"/reviews/{review_id}/evidence") for c in clients]
    barrier, answers = threading.Barrier(2), []

    def answer(n: int) -> None:
        barrier.wait()
        answers.append(clients[n].post(f"/reviews/{review_id}/evidence", data={
            "csrf": tokens[n], "text": f"User: draft {n}, then check each figure against the source.",
            "text_type": "detect"}).status_code)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(answers) == [303, 409]
    assert actions(settings, review_id) == ["request_evidence", "answer_evidence"]
    assert Store(settings.db).query("SELECT count(*) AS n FROM submissions WHERE channel = 'evidence'")[0]["n"] == 1


def test_the_employee_sees_release_notices_and_their_levels_against_the_target(site, browser, settings):
    from reviewer.pipeline import load_context
    from reviewer.service import decide

    ids = seed(settings, ["ana@example.com"] * 3)
    ctx, store = load_context(settings), Store(settings.db)
    decide(store, ctx, ids[0], actor="cy@example.com", action="release")
    decide(store, ctx, ids[1], actor="cy@example.com", action="override", level=6, reason="r")
    decide(store, ctx, ids[1], actor="cy@example.com", action="release")
    ana = browser.new_page()
    sign_in(ana, site, "ana@example.com", "ana-password-1")
    ana.goto(site + "/my")
    notices = ana.locator(".released-notice")
    assert notices.count() == 2 and "reviewed at level 6" in notices.nth(0).inner_text()  # newest first
    levels = [t.split("level ")[1].split(" ")[0] for t in ana.locator("#history circle title").all_text_contents()]
    assert len(levels) == 2 and levels[1] == "6"  # the coach's level, the unreleased one left out
    target = ctx.roles.get("analyst").target
    assert f"target {target}" in ana.text_content("#history svg")
    ana.click("#history a >> nth=1")
    ana.wait_for_url(f"{site}/reviews/{ids[1]}")
    bo = browser.new_page()
    sign_in(bo, site, "bo@example.com", "bo-password-22")
    bo.goto(site + "/my")
    assert bo.locator(".released-notice").count() == 0 and bo.locator("#history").count() == 0


def test_coaches_deciding_on_one_review_at_once_store_every_decision(site, settings):
    store = Store(settings.db)
    create_user(store, "dan@example.com", "coach", "dan-password-4444")
    [review_id] = seed(settings, ["ana@example.com"])
    coaches = [signed_in(site, email, password) for email, password in
               (("cy@example.com", "cy-password-333"), ("dan@example.com", "dan-password-4444"))]
    tokens = [form_csrf(c, f"/reviews/{review_id}") for c in coaches]
    forms = [{"action": "confirm", "then": "next"}, {"action": "override", "level": "2", "reason": "too generous"},
             {"action": "edit_feedback", "summary": "Check the prices it finds.", "gaps": "No price check"},
             {"action": "request_evidence", "reason": "one more transcript"}]
    barrier, answers = threading.Barrier(8), []

    def post(n: int) -> None:
        barrier.wait()
        answers.append(coaches[n % 2].post(f"/reviews/{review_id}/decide",
                                           data={"csrf": tokens[n % 2], **forms[n // 2]}).status_code)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert answers == [303] * 8
    assert sorted(actions(settings, review_id)) == sorted(f["action"] for f in forms for _ in range(2))
    assert len([e for e in store.audit_entries("review", review_id) if e["action"] != "score"]) == 8


def test_an_unchanged_edit_form_keeps_the_feedback_even_with_a_quote_over_two_lines():
    from reviewer.feedback import FeedbackText, edited_feedback
    from reviewer.schemas import Feedback, Strength

    fb = Feedback(summary="s", level=3, level_name="n", role=None, target=None, gap=None, gaps=[], next_steps=["x"],
                  submit_next="y", strengths=[Strength(indicator="grounds", text="Grounds the model",
                                                       quote="instructions: |\n  Answer only from the files")])
    again = edited_feedback(fb, FeedbackText.of(fb))
    assert [(s.indicator, s.text, s.quote) for s in again.strengths] == \
        [("grounds", "Grounds the model", "instructions: | Answer only from the files")]


def test_an_edit_stored_after_a_concurrent_override_does_not_show_the_old_levels_gaps(settings):
    from reviewer.feedback import FeedbackText
    from reviewer.pipeline import load_context
    from reviewer.service import decide, edited_view, final_view

    [review_id] = seed(settings, ["ana@example.com"])
    ctx, store = load_context(settings), Store(settings.db)
    before = store.review_row(review_id)  # the coach opened the page at the automated level ...
    stale = edited_view(before, ctx, FeedbackText(summary="Edited for the automated level."))
    new_level = before["level"] % 6 + 1
    decide(store, ctx, review_id, actor="dan@example.com", action="override", level=new_level, reason="r")
    store.add_decision(review_id, actor="cy@example.com", action="edit_feedback", feedback=stale.model_dump())
    final = final_view(store, ctx, review_id)  # ... and their edit landed after another coach's override
    assert final.level == new_level and final.feedback.level == new_level
    assert final.feedback.summary != "Edited for the automated level."


def test_odd_form_and_query_values_on_the_queue_get_pages_not_errors(site):
    coach = signed_in(site, "cy@example.com", "cy-password-333")
    csrf = form_csrf(coach, "/queue")
    for ids in (["²"], ["9" * 5000], ["-1"], ["0"]):
        r = coach.post("/queue/release", data={"csrf": csrf, "ids": ids})
        assert r.status_code == 303 and r.headers["location"].startswith("/queue"), ids
    for level in ("²", "99999999999999999999", "-3", "abc"):
        assert coach.get("/queue", params={"level": level}).status_code == 200, level
