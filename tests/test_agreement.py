"""Coach agreement: the pure figures on hand-made decisions, `reviewer agreement` on a real
SQLite file filled through service.submit and service.decide, the page in a real Chromium, and
the coach queue's warning."""

import json
import re
import shutil
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from reviewer.accounts import create_user
from reviewer.agreement import (
    SettledReview,
    agreement,
    alarm,
    decision_rows,
    figures,
    iso_week,
    level_figures,
    settled_levels,
)
from reviewer.cli import app
from reviewer.config import Settings
from reviewer.flags import AgreementPolicy, load_policy
from reviewer.pipeline import load_context
from reviewer.rubric import DEFAULT_RUBRIC, fit_path
from reviewer.service import Item, decide, submit
from reviewer.store import Store
from tests.conftest import LiveServer
from tests.test_web import SHOTS, browser, sign_in  # noqa: F401 (the browser fixture)

SAMPLES = Path(__file__).parent / "samples"
runner = CliRunner()


def row(n: int, automated: int, coach: int, action: str, at: str, kind: str = "prompt", judge: str = "rules",
        rubric: str = "1.0+aaaaaaaaaaaa", reason: str | None = None) -> SettledReview:
    override = {"override_id": n, "override_at": at, "override_actor": "cy@example.com"} if action == "override" else {}
    return SettledReview(decided_at=at, reason=reason, review_id=10 + n,
                    automated_level=automated, coach_level=coach, rubric=rubric, judge=judge, artifact_type=kind,
                    **override)


ROWS = [row(1, 3, 3, "confirm", "2026-01-01T09:00:00.000+00:00"),  # a Thursday: ISO week 2026-W01
        row(2, 2, 4, "override", "2026-01-05T09:00:00.000+00:00", kind="code", reason="checks the output"),
        row(3, 5, 4, "override", "2026-01-06T09:00:00.000+00:00", kind="code", judge="llm",
            rubric="1.1+bbbbbbbbbbbb", reason="no evals"),
        row(4, 4, 4, "release", "2026-01-07T09:00:00.000+00:00")]


def test_figures_on_hand_made_decisions():
    overall = figures(ROWS)
    assert overall["n"] == 4 and overall["exact"] == 0.5 and overall["adjacent"] == 0.75 and overall["mae"] == 0.75
    coach, auto = [3, 4, 4, 4], [3, 2, 5, 4]
    assert overall["qwk"] == pytest.approx(cohen_kappa_score(coach, auto, weights="quadratic", labels=[1, 2, 3, 4, 5, 6]))
    assert figures([row(1, 2, 1, "override", ROWS[0].decided_at), row(2, 1, 2, "override", ROWS[0].decided_at)])["qwk"] \
        == pytest.approx(-1.0)  # swapped levels: systematic disagreement
    assert figures([]) == {"n": 0, "exact": None, "adjacent": None, "qwk": None, "mae": None}


def test_agreement_groups_by_rubric_type_judge_and_iso_week():
    report = agreement(ROWS)
    assert report["by_type"]["code"] == {"n": 2, "exact": 0.0, "adjacent": 0.5, "qwk": pytest.approx(0.0), "mae": 1.5}
    assert report["by_type"]["prompt"]["exact"] == 1.0 and report["by_type"]["prompt"]["n"] == 2
    assert {k: v["n"] for k, v in report["by_rubric"].items()} == {"1.0+aaaaaaaaaaaa": 3, "1.1+bbbbbbbbbbbb": 1}
    assert {k: v["n"] for k, v in report["by_judge"].items()} == {"llm": 1, "rules": 3}
    assert list(report["by_week"]) == ["2026-W01", "2026-W02"] and report["by_week"]["2026-W02"]["n"] == 3
    assert iso_week("2027-01-01T00:00:00+00:00") == "2026-W53"  # the ISO year, not the calendar year
    assert [(o["review_id"], o["automated_level"], o["coach_level"], o["reason"]) for o in report["overrides"]] \
        == [(13, 5, 4, "no evals"), (12, 2, 4, "checks the output")]  # newest first


def test_the_alarm_needs_enough_decisions_and_a_figure_under_its_threshold():
    assert alarm(figures(ROWS), AgreementPolicy(min_decisions=5, min_exact=0.9)) is None  # too few to tell
    message = alarm(figures(ROWS), AgreementPolicy(days=14, min_decisions=4, min_exact=0.6, min_qwk=-1))
    assert message and "exact agreement 50% (threshold 60%)" in message and "QWK" not in message
    assert "4 reviews coaches settled in the last 14 days" in message
    assert alarm(figures(ROWS), AgreementPolicy(min_decisions=4, min_exact=0.5, min_qwk=-1)) is None  # at the threshold is fine
    assert "QWK" in alarm(figures(ROWS), AgreementPolicy(min_decisions=4, min_exact=0, min_qwk=0.99))


def test_the_policy_file_holds_the_threshold():
    policy = load_policy().agreement
    assert policy == AgreementPolicy(days=28, min_decisions=20, min_exact=0.4, min_qwk=0.6)


def _score(store, ctx, names, person="ana@example.com"):
    return submit(store, ctx, [Item(data=(SAMPLES / n).read_bytes()) for n in names], person=person,
                  role="analyst", channel="test")


def _second_rubric(tmp_path: Path) -> Path:
    """The rubric under another declared version (its fitted level model beside it)."""
    target = tmp_path / "rubric2" / "proficiency.yaml"
    target.parent.mkdir()
    text = DEFAULT_RUBRIC.read_text(encoding="utf-8")
    target.write_text(re.sub(r'(?m)^version:.*$', 'version: "2.0"', text, count=1), encoding="utf-8")
    shutil.copy(fit_path(DEFAULT_RUBRIC), fit_path(target))
    return target


@pytest.fixture
def decided(settings, ctx, tmp_path):
    """Six reviews under rubric 1.x and two under 2.0, decided by a coach: three confirmed (one
    also released, which counts once), three overridden by two levels, one confirmed under 2.0
    and one left undecided. The second review's confirmation is moved back to January."""
    store = Store(settings.db)
    ids = _score(store, ctx, ["l1-prompt-oneliner.txt", "l2-prompt-hr-policy-announcement.txt",
                              "l3-transcript-grounded-citations.md", "l4-workflow-n8n-support-triage.json",
                              "l5-agent-config-crewai-guardrails.yaml", "l6-eval-config-ci-eval-gate.yaml"])
    levels = [store.review_row(i)["level"] for i in ids]
    for i in ids[:3]:
        decide(store, ctx, i, actor="cy@example.com", action="confirm")
    decide(store, ctx, ids[0], actor="cy@example.com", action="release")
    for i, lv in zip(ids[3:], levels[3:]):
        new = lv - 2 if lv > 2 else lv + 2
        decide(store, ctx, i, actor="cy@example.com", action="override", level=new,
               reason=f"<script>alert(1)</script> really {new}")
    store.conn.execute("UPDATE decisions SET created_at = '2026-01-05T10:00:00.000+00:00' WHERE id = 2")
    store.conn.commit()
    ctx2 = load_context(settings.model_copy(update={"rubric": _second_rubric(tmp_path)}))
    later = _score(store, ctx2, ["l4-code-openai-feedback-classifier.py", "l1-prompt-long-shallow.txt"], "bo@example.com")
    decide(store, ctx2, later[0], actor="cy@example.com", action="confirm")
    store.close()
    return {"ids": ids, "levels": levels, "later": later, "label": ctx.rubric.version_label}


def test_the_queues_counted_levels_give_the_figures_of_the_rows(settings, decided):
    store = Store(settings.db)
    for since in ("2000-01-01", "2026-02-01"):
        assert level_figures(*settled_levels(store, since)) == figures(decision_rows(store, since))


def test_the_cli_reports_agreement_with_filters_and_json(settings, decided):
    db = str(settings.db)
    r = runner.invoke(app, ["agreement", "--json", "--db", db])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["overall"]["n"] == 7 and body["overall"]["exact"] == pytest.approx(4 / 7)  # confirm + release: once
    assert body["overall"]["adjacent"] == pytest.approx(4 / 7) and body["alarm"] is None  # 7 < 20 settled reviews
    labels = sorted(body["by_rubric"])
    assert len(labels) == 2 and labels[0] == decided["label"] and labels[1].startswith("2.0+")
    assert body["by_rubric"][labels[1]]["n"] == 1
    assert body["by_judge"] == {"rules": figures_of(body["overall"])}
    assert sorted(body["by_week"])[0] == "2026-W02" and sum(w["n"] for w in body["by_week"].values()) == 7
    assert [o["review_id"] for o in body["overrides"]] == decided["ids"][5:2:-1]
    assert all(o["reason"].startswith("<script>") and o["actor"] == "cy@example.com" for o in body["overrides"])
    assert [(o["automated_level"], o["coach_level"]) for o in body["overrides"]][-1] == \
        (decided["levels"][3], decided["levels"][3] - 2 if decided["levels"][3] > 2 else decided["levels"][3] + 2)

    since = json.loads(runner.invoke(app, ["agreement", "--json", "--since", "2026-02-01", "--db", db]).output)
    assert since["overall"]["n"] == 6 and "2026-W02" not in since["by_week"]
    assert since["filters"] == {"since": "2026-02-01", "rubric_version": None}
    v2 = json.loads(runner.invoke(app, ["agreement", "--json", "--rubric-version", "2.0", "--db", db]).output)
    assert v2["overall"]["n"] == 1 and v2["overall"]["exact"] == 1.0 and not v2["overrides"]
    v1 = json.loads(runner.invoke(app, ["agreement", "--json", "--rubric-version", decided["label"], "--db", db]).output)
    assert v1["overall"]["n"] == 6 and list(v1["by_rubric"]) == [decided["label"]]

    text = runner.invoke(app, ["agreement", "--db", db])
    assert text.exit_code == 0 and "7 review(s) settled by a coach: exact 57%, adjacent 57%" in text.output
    assert "per artifact type:" in text.output and f"review {decided['ids'][5]} by cy@example.com" in text.output
    none = runner.invoke(app, ["agreement", "--since", "2999-01-01", "--db", db])
    assert none.exit_code == 0 and "nothing to compare" in none.output
    bad = runner.invoke(app, ["agreement", "--since", "last week", "--db", db])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def figures_of(overall: dict) -> dict:
    return {k: overall[k] for k in ("n", "exact", "adjacent", "qwk", "mae")}


def _policy_file(tmp_path: Path, **values) -> Path:
    """The default flag policy with other agreement thresholds."""
    text = (Path(DEFAULT_RUBRIC).parent / "flags.yaml").read_text(encoding="utf-8")
    head = text[:text.index("\nagreement:")]
    path = tmp_path / "flags.yaml"
    path.write_text(head + "\nagreement:\n" + "".join(f"  {k}: {v}\n" for k, v in values.items()), encoding="utf-8")
    return path


def _site(settings: Settings, policy: Path | None = None):
    from reviewer.web.app import create_app

    store = Store(settings.db)
    for email, role in [("cy@example.com", "coach"), ("ana@example.com", "employee")]:
        if store.user(email) is None:
            create_user(store, email, role, f"{email[:2]}-password-12")
    store.close()
    update = {"flag_policy": policy} if policy else {}
    return LiveServer(create_app(settings.model_copy(update=update)))


def test_the_page_reads_well_empty_and_full_at_phone_and_laptop_widths(settings, browser, tmp_path):  # noqa: F811
    with _site(settings) as server:
        page = browser.new_page()
        sign_in(page, server.url, "ana@example.com", "an-password-12")
        assert page.goto(server.url + "/agreement").status == 403
        assert page.locator("header a[href='/agreement']").count() == 0  # not in an employee's nav
        sign_in(page, server.url, "cy@example.com", "cy-password-12")
        page.goto(server.url + "/agreement")
        assert page.locator("header a[href='/agreement']").count() == 1
        assert "No coach has confirmed, overridden or released a review yet" in page.inner_text("#agreement-empty")
        assert page.locator("svg").count() == 0 and page.locator("#agreement-alarm").count() == 0
        response = page.goto(server.url + "/agreement?since=yesterday")
        assert response.status == 422 and "give a date as YYYY-MM-DD" in page.inner_text("#error-detail")

    ctx = load_context(settings)
    store = Store(settings.db)
    ids = _score(store, ctx, ["l2-prompt-hr-policy-announcement.txt", "l4-workflow-n8n-support-triage.json"])
    decide(store, ctx, ids[0], actor="cy@example.com", action="confirm")
    level = store.review_row(ids[1])["level"]
    coach_level = level + 1 if level < 6 else level - 1
    decide(store, ctx, ids[1], actor="cy@example.com", action="override", level=coach_level,
           reason="<script>alert('x')</script> the checks are stronger than the indicators show")
    store.close()
    with _site(settings) as server:
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        sign_in(page, server.url, "cy@example.com", "cy-password-12")
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(server.url + "/agreement")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            if width == 1280:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "agreement.png"), full_page=True)
        overall = page.inner_text("#agreement-overall")
        assert "2 reviews settled by a coach: exact agreement 50%" in overall and "within one level 100%" in overall
        assert page.locator("svg rect").count() == 2  # one week: its adjacent and exact bars
        overrides = page.inner_text("#overrides")
        assert "<script>alert('x')</script> the checks are stronger" in overrides and not dialogs
        assert f"{level} -> {coach_level}" in overrides and "cy@example.com" in overrides
        page.click(f"#overrides a[href='/reviews/{ids[1]}']")
        assert page.url.endswith(f"/reviews/{ids[1]}")
        page.goto(server.url + "/agreement?since=2999-01-01")
        assert "under these filters" in page.inner_text("#agreement-empty")


def test_the_queue_warns_when_agreement_falls_under_the_threshold(settings, browser, tmp_path):  # noqa: F811
    policy = _policy_file(tmp_path, days=7, min_decisions=3, min_exact=0.6, min_qwk=0)
    ctx = load_context(settings.model_copy(update={"flag_policy": policy}))
    store = Store(settings.db)
    ids = _score(store, ctx, ["l1-prompt-oneliner.txt", "l3-transcript-grounded-citations.md",
                              "l5-agent-config-crewai-guardrails.yaml", "l2-prompt-hr-policy-announcement.txt",
                              "l4-workflow-n8n-support-triage.json", "l6-eval-config-ci-eval-gate.yaml"])
    for i in ids[:3]:
        decide(store, ctx, i, actor="cy@example.com", action="confirm")
    with _site(settings, policy) as server:
        page = browser.new_page()
        sign_in(page, server.url, "cy@example.com", "cy-password-12")
        page.goto(server.url + "/queue")
        assert page.locator("h1").inner_text() == "Review queue"
        assert page.locator("#agreement-alarm").count() == 0  # 3 of 3 agree: above the threshold
        for i in ids[3:]:
            level = store.review_row(i)["level"]
            decide(store, ctx, i, actor="cy@example.com", action="override", level=level - 2 if level > 2 else level + 2,
                   reason="two levels off")
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(server.url + "/queue")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        banner = page.inner_text("#agreement-alarm")
        assert "exact agreement 50% (threshold 60%)" in banner and "6 reviews coaches settled in the last 7 days" in banner
        page.click("#agreement-alarm a")
        assert page.url.endswith("/agreement") and "exact agreement 50%" in page.inner_text("#agreement-alarm")
    store.close()
