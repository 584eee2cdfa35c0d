"""Feedback as the spec asks: level against role target, strengths with quotes, gaps tied to
indicators, practice on the person's own work, and what to submit next.

Higher is not better: someone at or above target gets no push upward, only consolidation.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from reviewer.indicators import key_only
from reviewer.rubric import Indicator, Role, Rubric
from reviewer.schemas import Evidence, Feedback, Gap, Judgement, Strength

MAX_STRENGTHS = 3
MAX_GAPS = 3
# Verification first: "can they tell when the AI is wrong?" is the seed question of the spec.
GAP_DIMENSION_ORDER = ("verification", "grounding", "framing", "workflow", "responsible_use", "system_design")


def pick_strengths(evidence: list[Evidence]) -> list[Strength]:
    """The highest-level verified evidence, one quote per indicator (or LLM-judged dimension);
    a quote that is only a key (`pull_request:`) shows nothing a reader can recognise, so it is
    never a strength's quote."""
    seen: set[str] = set()
    out = []
    shown = (e for e in evidence if e.verified and not key_only(e.quote))
    for ev in sorted(shown, key=lambda e: (-e.level, e.start)):
        if ev.indicator in seen:
            continue
        seen.add(ev.indicator)
        out.append(Strength(indicator=ev.indicator, text=ev.label, quote=ev.quote))
        if len(out) == MAX_STRENGTHS:
            break
    return out


def _gap_order(ind: Indicator, consolidate: bool) -> tuple:
    dim = GAP_DIMENSION_ORDER.index(ind.dimension) if ind.dimension in GAP_DIMENSION_ORDER else 99
    return (not ind.core, dim, -ind.level if consolidate else ind.level)


def pick_gaps(met: set[str], level: int, target: int | None, rubric: Rubric) -> list[Indicator]:
    """Below target: unmet indicators of the next level. At or above target (or no role):
    unmet indicators at or below the demonstrated level, nearest the level first, so the
    advice consolidates rather than pushes upward."""
    if target is not None and level < target:
        pool = [i for i in rubric.indicators if i.level == level + 1 and i.id not in met]
        return sorted(pool, key=lambda i: _gap_order(i, consolidate=False))[:MAX_GAPS]
    pool = [i for i in rubric.indicators if 2 <= i.level <= max(level, 2) and i.id not in met]
    return sorted(pool, key=lambda i: _gap_order(i, consolidate=True))[:MAX_GAPS]


def summary_text(rubric: Rubric, level: int, role_key: str | None, role: Role | None,
                 insufficient: bool) -> str:
    fb = rubric.feedback
    values = {"level": level, "level_name": rubric.level(level).name}
    if role is None:
        text = fb.no_role.format(**values)
    else:
        gap = role.target - level
        values |= {"target": role.target, "role_name": role.name, "gap": gap, "gap_s": "" if gap == 1 else "s"}
        template = fb.below_target if gap > 0 else fb.at_target if gap == 0 else fb.above_target
        text = template.format(**values)
    if insufficient:
        text += " " + fb.insufficient.format(**values)
    return text


def build_feedback(judgement: Judgement, rubric: Rubric, role_key: str | None, role: Role | None) -> Feedback:
    return feedback_for_level(judgement.level, {i for d in judgement.dimensions for i in d.met}, judgement.evidence,
                              judgement.insufficient_evidence, rubric, role_key, role)


def feedback_for_level(level: int, met: set[str], evidence: list[Evidence], insufficient: bool, rubric: Rubric,
                       role_key: str | None, role: Role | None) -> Feedback:
    """The feedback for a level (the judge's, or the one a coach decided) and the indicators met:
    the gaps and next steps are those of that level against the role target."""
    target = role.target if role else None
    gaps = pick_gaps(met, level, target, rubric)
    below = target is not None and level < target
    next_level = min(level + 1, 6) if below else level
    return Feedback(
        summary=summary_text(rubric, level, role_key, role, insufficient),
        level=level,
        level_name=rubric.level(level).name,
        role=role_key,
        target=target,
        gap=None if target is None else target - level,
        strengths=pick_strengths(evidence),
        gaps=[Gap(indicator=i.id, dimension=i.dimension, level=i.level, text=i.label) for i in gaps],
        next_steps=[i.practice for i in gaps] or [rubric.feedback.no_gaps],
        submit_next=rubric.level(next_level).submit_next,
    )


class WrittenSummary(BaseModel):
    summary: str = Field(description="the feedback paragraph, at most 90 words")


def summary_facts(fb: Feedback) -> dict:
    """What the feedback model may use: the structured review, never the raw artifact."""
    return {"level": fb.level, "level_name": fb.level_name, "role": fb.role, "target": fb.target,
            "gap_to_target": fb.gap, "strengths": [s.text for s in fb.strengths],
            "gaps": [g.text for g in fb.gaps], "template_summary": fb.summary}


MAX_EDITED_ITEMS = 10  # strengths, gaps or next steps a coach may list
COACH = "coach"  # the indicator of a strength or gap a coach wrote


class FeedbackText(BaseModel):
    """Feedback as a coach edits it: the summary, then one item per line (a strength's quote
    after ` | `)."""

    summary: str
    strengths: str = ""
    gaps: str = ""
    next_steps: str = ""

    @staticmethod
    def of(fb: Feedback) -> "FeedbackText":
        """The text a coach starts from (a quote that spans lines on one line, as each item is)."""
        return FeedbackText(summary=fb.summary,
                            strengths="\n".join(f"{s.text} | {' '.join(s.quote.split())}" if s.quote else s.text
                                                 for s in fb.strengths),
                            gaps="\n".join(g.text for g in fb.gaps), next_steps="\n".join(fb.next_steps))


def _lines(text: str, what: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_EDITED_ITEMS:
        raise ValueError(f"list at most {MAX_EDITED_ITEMS} {what}, one per line")
    return lines


def edited_feedback(current: Feedback, edit: FeedbackText) -> Feedback:
    """The feedback with a coach's text: an item whose text matches one already there keeps
    its indicator (and a gap its level and dimension); a new one is the coach's own."""
    strengths = {s.text: s for s in current.strengths}
    gaps = {g.text: g for g in current.gaps}
    new_strengths = []
    for line in _lines(edit.strengths, "strengths"):
        text, _, quote = (part.strip() for part in line.partition(" | "))
        known = strengths.get(text)
        new_strengths.append(Strength(indicator=known.indicator if known else COACH, text=text, quote=quote))
    return current.model_copy(update={
        "summary": edit.summary.strip(),
        "strengths": new_strengths,
        "gaps": [gaps.get(text) or Gap(indicator=COACH, dimension=None, level=None, text=text)
                 for text in _lines(edit.gaps, "gaps")],
        "next_steps": _lines(edit.next_steps, "next steps"),
    })
