from reviewer.feedback import build_feedback, pick_gaps
from reviewer.judges.rules import judge

PROMPT_L2 = """You are an HR business partner writing for new line managers.
Context: our expense policy changed on 1 March; the new rules are pasted below.
Write a 150-word announcement in a friendly tone with three bullet points.
Do not use legal jargon.
"""


def fb_for(text, rubric, roles, role_key):
    j = judge(text, None, rubric)
    return j, build_feedback(j, rubric, role_key, roles.get(role_key))


def test_below_target_names_the_gap_and_next_level_gaps(rubric, roles):
    j, fb = fb_for(PROMPT_L2, rubric, roles, "analyst")
    assert j.level == 2 and fb.target == 4 and fb.gap == 2
    assert "targets level 4" in fb.summary and "gap is 2 levels" in fb.summary
    assert 1 <= len(fb.gaps) <= 3 and all(g.level == 3 for g in fb.gaps)
    assert fb.gaps[0].dimension == "verification"  # the spec's seed question comes first
    assert fb.next_steps == [rubric.indicator(g.indicator).practice for g in fb.gaps]
    assert fb.submit_next == rubric.level(3).submit_next


def test_strengths_quote_the_artifact(rubric, roles):
    _, fb = fb_for(PROMPT_L2, rubric, roles, "analyst")
    assert 2 <= len(fb.strengths) <= 3
    assert all(s.quote in PROMPT_L2 for s in fb.strengths)


def test_above_target_gets_no_push_upward(rubric, roles):
    j = judge(PROMPT_L2, None, rubric)
    high = j.model_copy(update={"level": 5})
    fb = build_feedback(high, rubric, "people_manager", roles.get("people_manager"))
    assert fb.gap == -2 and "no need to go further" in fb.summary
    assert all(g.level <= 5 for g in fb.gaps)
    assert fb.submit_next == rubric.level(5).submit_next


def test_at_target_consolidates_within_the_level(rubric, roles):
    gaps = pick_gaps(met={"role_or_audience"}, level=3, target=3, rubric=rubric)
    assert gaps and all(g.level <= 3 for g in gaps)


def test_no_role_says_so(rubric, roles):
    _, fb = fb_for("summarise this", rubric, roles, None)
    assert fb.target is None and fb.gap is None
    assert "No role was given" in fb.summary and "floor, not a ceiling" in fb.summary
