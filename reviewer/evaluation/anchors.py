"""Choosing the LLM judge's anchors: per artifact type, a few labelled dev cases at different
levels (the shortest where the raters agreed), each as an excerpt with its settled rationale."""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.evaluation.cases import LoadedCase
from reviewer.intake import decode_text
from reviewer.prompts import Anchor
from reviewer.redact import redact

MAX_EXCERPT = 1200
MAX_RATIONALE = 500


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """The text's opening, cut at a line end, saying how much of it is shown."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    head = text[:cut if cut > limit // 2 else limit]
    return f"{head}\n[... the first {len(head):,} of {len(text):,} characters]"


def rationale(notes: str) -> str:
    """The settling rater's reasoning when there was one, else the first rater's, shortened at a sentence."""
    lines = [line for line in notes.splitlines() if line.strip()]
    settled = next((line.split(":", 1)[1] for line in lines if line.startswith("settled at")), None)
    first = next((line.split(":", 1)[1] for line in lines if line.startswith("rater A:")), lines[0] if lines else "")
    text = " ".join((settled or first).split())
    if len(text) > MAX_RATIONALE:
        end = text.rfind(". ", 0, MAX_RATIONALE)
        text = text[:end + 1] if end > 0 else text[:MAX_RATIONALE] + "..."
    return text


def _spread(levels: list[int], k: int) -> list[int]:
    """k distinct levels spread from the lowest to the highest."""
    if len(levels) <= k:
        return levels
    return sorted({levels[round(i * (len(levels) - 1) / (k - 1))] for i in range(k)}) if k > 1 else [levels[-1]]


def choose(cases: Sequence[LoadedCase], per_type: int) -> dict[str, list[Anchor]]:
    out: dict[str, list[Anchor]] = {}
    for kind in sorted({c.case.artifact_type for c in cases if c.case.artifact_type}):
        mine = [c for c in cases if c.case.artifact_type == kind and not c.case.variant_of]
        agreed = [c for c in mine if not c.case.labels or len(set(c.case.labels)) == 1] or mine
        by_level: dict[int, list[LoadedCase]] = {}
        for c in sorted(agreed, key=lambda c: (len(c.data), c.id)):
            by_level.setdefault(c.case.expected.level, []).append(c)
        picked = [by_level[lv][0] for lv in _spread(sorted(by_level), per_type)]
        out[kind] = [Anchor(id=c.id, level=c.case.expected.level, source=c.case.source or c.id,
                            excerpt=excerpt(redact(decode_text(c.data)).text), rationale=rationale(c.case.notes or ""))
                     for c in picked]
    return out
