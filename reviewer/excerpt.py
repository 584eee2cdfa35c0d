"""Evidence-dense excerpts of an artifact too long for a model's context window (pure functions).

An excerpt keeps the head and the tail of the text and, between them, the evidence spans the
rules judge found with some context around each, in their original order. Every cut is shown
by a marker naming how much was left out, so the model knows it reads an excerpt.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT = 300       # characters kept on each side of an evidence span
SNAP = 120          # how far a cut may move to land on a line break
HEAD_SHARE = 0.15   # of the budget, kept for the head before evidence is placed
TAIL_SHARE = 0.10   # of the budget, kept for the tail
MARKER_COST = len("\n[... 1,000,000,000 characters omitted ...]\n")  # the most one cut can add


def marker(omitted: int) -> str:
    return f"[... {omitted:,} characters omitted ...]"


@dataclass(frozen=True)
class Excerpt:
    """The text to send and the kept `spans` (character offsets into the full text, in order)."""

    text: str
    spans: list[tuple[int, int]]


def _line_start_after(text: str, pos: int) -> int:
    """`pos`, or the start of the next line when that is near: a cut that only shrinks what is kept."""
    nl = text.find("\n", pos, min(len(text), pos + SNAP))
    return nl + 1 if nl >= 0 else pos


def _line_end_before(text: str, pos: int) -> int:
    """`pos`, or the end of the previous line when that is near."""
    nl = text.rfind("\n", max(0, pos - SNAP), pos)
    return nl if nl > 0 else pos


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """A span with CONTEXT characters around it, each side ending on a line break when one is near."""
    lo, hi = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    nl = text.rfind("\n", max(0, lo - SNAP), lo)
    lo = 0 if lo == 0 else (nl + 1 if nl >= 0 else lo)
    nl = text.find("\n", hi, min(len(text), hi + SNAP))
    return lo, (nl if nl >= 0 else hi)


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or touching ones joined."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _covered(spans: list[tuple[int, int]]) -> int:
    return sum(end - start for start, end in merge(spans))


def _cost(spans: list[tuple[int, int]]) -> int:
    """Characters the excerpt of these spans takes at most: kept text plus a marker per cut."""
    return _covered(spans) + MARKER_COST * (len(merge(spans)) + 1)


def render(text: str, spans: list[tuple[int, int]]) -> str:
    """The kept spans of `text` joined in order, each gap replaced by an omission marker."""
    parts, pos = [], 0
    for start, end in merge(spans):
        if start > pos:
            parts.append(marker(start - pos))
        parts.append(text[start:end])
        pos = end
    if pos < len(text):
        parts.append(marker(len(text) - pos))
    return "\n".join(parts)


def build_excerpt(text: str, evidence: list[tuple[int, int]], budget: int) -> Excerpt:
    """At most `budget` characters of `text` (for a budget above a few markers' length): the
    whole text when it fits; otherwise the head, the tail and as many `evidence` spans (in the
    order given: most important first) with context as fit, then whatever budget is left grows
    the head and the tail."""
    n = len(text)
    if n <= budget:
        return Excerpt(text=text, spans=[(0, n)] if n else [])
    head_end = _line_end_before(text, int(budget * HEAD_SHARE))
    tail_start = _line_start_after(text, n - int(budget * TAIL_SHARE))
    kept = [(0, head_end), (tail_start, n)]
    for start, end in evidence:
        if not 0 <= start < end <= n:
            continue
        for candidate in (_widen(text, start, end), (start, end)):  # with context, else the quote alone
            if _cost(kept + [candidate]) <= budget:
                kept.append(candidate)
                break
    spare = budget - _cost(kept)
    if spare > 0:  # growing the head and the tail adds no cut, so the excerpt stays within budget
        grow_head = spare * 2 // 3
        kept[0] = (0, _line_end_before(text, min(n, head_end + grow_head)))
        kept[1] = (_line_start_after(text, max(0, tail_start - (spare - grow_head))), n)
    spans = merge(kept)
    return Excerpt(text=render(text, spans), spans=spans)
