"""Deterministic evidence detection driven by the rubric's indicator definitions.

Every hit carries a quote that is an exact slice of the artifact text (`text[start:end]`), so
any score built on it can be traced back to the artifact.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from reviewer.rubric import Indicator, Rubric, StructureCheck
from reviewer.schemas import Evidence

MAX_QUOTE_CHARS = 200
MAX_HITS_PER_INDICATOR = 5


def line_span(text: str, pos: int) -> tuple[int, int]:
    """Start and end of the line holding `pos`, without its surrounding white space."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = len(text) if end == -1 else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def quote_span(text: str, match_start: int, match_end: int) -> tuple[int, int]:
    """The line around a match, cut to MAX_QUOTE_CHARS centred on the match."""
    start, end = line_span(text, match_start)
    if end - start <= MAX_QUOTE_CHARS:
        return start, end
    centre = (match_start + min(match_end, end)) // 2
    start = max(start, centre - MAX_QUOTE_CHARS // 2)
    return start, min(end, start + MAX_QUOTE_CHARS)


def _walk(node: object) -> Iterator[dict]:
    """Every mapping in a parsed tree, depth first (iterative: trees can be deep)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            yield cur
            stack.extend(reversed(list(cur.values())))
        elif isinstance(cur, list):
            stack.extend(reversed(cur))


def _non_empty(value: object) -> bool:
    if isinstance(value, (list, dict, str)):
        return len(value) > 0
    return value is not None and value is not False


def _scalar_text(value: object) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, (int, float, bool)) else ""


def _structure_matches(check: StructureCheck, tree: object) -> list[tuple[str, str]]:
    """(key, scalar value) of each node the check accepts."""
    found = []
    for mapping in _walk(tree):
        if check.key_re is not None:
            for key, value in mapping.items():
                if not isinstance(key, str) or not check.key_re.fullmatch(key):
                    continue
                if check.value_re is not None and not check.value_re.search(_scalar_text(value)):
                    continue
                if check.non_empty and not _non_empty(value):
                    continue
                found.append((key, _scalar_text(value)))
        else:
            lowered = {str(k).lower(): k for k in mapping}
            if all(alts & lowered.keys() for alts in check.key_sets):
                first = next(lowered[k] for k in lowered if k in check.key_sets[0])
                found.append((str(first), _scalar_text(mapping[first])))
    return found


def _locate_key(text: str, key: str, value: str) -> tuple[int, int] | None:
    """Where a key of the parsed tree stands in the text (the line that also holds its value, if any)."""
    key_re = re.compile(r"""(^|[\s{,\-])["']?""" + re.escape(key) + r"""["']?\s*[:=]""", re.MULTILINE)
    first = None
    for m in key_re.finditer(text):
        span = line_span(text, m.end() - 1)
        if first is None:
            first = span
        if not value or value[:40] in text[span[0]:span[1]]:
            return span
    return first


def _pattern_spans(indicator: Indicator, text: str) -> Iterator[tuple[int, int]]:
    for pattern in indicator.detect.compiled:
        for m in pattern.finditer(text):
            # a leading \s* may start on an earlier blank line: quote the line the words are on
            start = m.start() + len(m.group()) - len(m.group().lstrip())
            yield quote_span(text, start, max(m.end(), start + 1))


def _structure_spans(indicator: Indicator, text: str, tree: object) -> Iterator[tuple[int, int]]:
    if tree is None:
        return
    for check in indicator.detect.structure:
        found = _structure_matches(check, tree)
        if len(found) < check.min_count:
            continue
        for key, value in found:
            span = _locate_key(text, key, value)
            if span is not None:
                yield span


def _overlaps(span: tuple[int, int], blocked: list[tuple[int, int]]) -> bool:
    return any(span[0] < b_end and b_start < span[1] for b_start, b_end in blocked)


def injection_spans(text: str, rubric: Rubric) -> list[tuple[int, int]]:
    """Lines that try to steer the grader (rubric `injection.patterns`)."""
    spans = {line_span(text, m.start()) for p in rubric.injection.compiled for m in p.finditer(text)}
    return sorted(spans)


def detect(text: str, tree: object, rubric: Rubric, blocked: list[tuple[int, int]] | None = None) -> dict[str, list[Evidence]]:
    """Indicators the artifact meets, each with its evidence (distinct lines, first ones first).

    Lines in `blocked` (suspected injection) never count as evidence.
    """
    blocked = blocked or []
    met: dict[str, list[Evidence]] = {}
    for ind in rubric.indicators:
        spans = {}
        enough = max(MAX_HITS_PER_INDICATOR, ind.detect.min_matches)
        for span in itertools.chain(_pattern_spans(ind, text), _structure_spans(ind, text, tree)):
            if span[1] > span[0] and not _overlaps(span, blocked):
                spans.setdefault(line_span(text, span[0])[0], span)
                if len(spans) >= enough:  # more hits change nothing: stop scanning a long artifact
                    break
        if len(spans) < ind.detect.min_matches:
            continue
        met[ind.id] = [
            Evidence(indicator=ind.id, dimension=ind.dimension, level=ind.level,
                     label=ind.label, quote=text[s:e], start=s, end=e)
            for s, e in sorted(spans.values())[:MAX_HITS_PER_INDICATOR]
        ]
    return met
