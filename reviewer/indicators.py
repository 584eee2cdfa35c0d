"""Deterministic evidence detection driven by the rubric's indicator definitions.

Every hit carries a quote that is an exact slice of the artifact text (`text[start:end]`), so
any score built on it can be traced back to the artifact.

Detection time grows linearly with the text, whatever its shape: the rubric's patterns run on
RE2 (reviewer.patterns), lines are looked up in an index built once per text, each key of the
parsed tree is searched for once, and each pattern or structure check offers an indicator at
most MAX_CANDIDATES hits, so no number of matches on one huge line adds up.
"""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from collections.abc import Iterator
from functools import cached_property

import re2

from reviewer.patterns import Pattern, compile_fixed, compile_pattern
from reviewer.rubric import Indicator, Rubric, StructureCheck
from reviewer.schemas import Evidence

MAX_QUOTE_CHARS = 200
MAX_HITS_PER_INDICATOR = 5
# Hits one pattern or structure check may offer an indicator. Real artifacts reach
# MAX_HITS_PER_INDICATOR distinct lines long before; beyond it the text repeats itself
# (most often on one long line, where every hit counts once).
MAX_CANDIDATES = 100
# Occurrences of a key searched for the one its value follows; later ones fall back to the first.
MAX_KEY_SITES = 100
# Lines below a bare key searched for the first line of its value (blank ones and nested keys included).
MAX_VALUE_LOOKAHEAD = 8
# A trimmed line that only opens a value written below it: a key alone ("instructions: |", "tools:",
# '"error_handling": {', "**Constraints:**", "- agents:") or an opening bracket. Quoted alone it shows nothing.
_OPENS_VALUE = compile_fixed(r"""^(?:(?:#{1,6}\s*|[-*]\s+)?(?:\*\*)?["']?[\w. -]{1,60}["']?(?:\*\*)?\s*:\s*(?:\*\*)?"""
                             r"""\s*(?:[|>][-+0-9]{0,2}|[\[{(])?|[\[{(])$""")
# A trimmed `key: value` line: beside a key at the same indentation it is a sibling (the key's value is empty).
_KEY_VALUE = compile_fixed(r"""^["']?[\w.-]{1,60}["']?\s*:(?:\s|$)""")


class Lines:
    """A text with its line index: the line of an offset in O(log n), each line trimmed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = list(itertools.accumulate((len(line) + 1 for line in text.split("\n")), initial=0))
        self._trimmed: dict[int, tuple[int, int]] = {}

    def number(self, pos: int) -> int:
        """Index of the line holding offset `pos`."""
        return bisect.bisect_right(self._starts, pos) - 1

    def span(self, pos: int) -> tuple[int, int]:
        """Start and end of the line holding `pos`, without its surrounding white space."""
        return self.line(self.number(pos))

    def line(self, n: int) -> tuple[int, int]:
        """Start and end of line `n`, without its surrounding white space."""
        if n not in self._trimmed:
            start, end = self._starts[n], self._starts[n + 1] - 1
            line = self.text[start:end]
            body = line.strip()
            if body:
                start += len(line) - len(line.lstrip())
                self._trimmed[n] = (start, start + len(body))
            else:
                self._trimmed[n] = (end, end)
        return self._trimmed[n]

    def indent(self, n: int) -> int:
        """Leading white space of line `n` (of a blank line: its length)."""
        return self.line(n)[0] - self._starts[n]

    def with_value(self, start: int, end: int, skip: set[int]) -> tuple[int, int]:
        """A quote that is a whole line opening a value below it (`instructions: |`, `tools:`),
        extended to the value's first line (through nested keys), so the quote shows the work,
        not the key. Unchanged when there is no such line within MAX_VALUE_LOOKAHEAD lines, the
        block ends first (a line indented less than the key, or a sibling key) or that line is in `skip`."""
        n = self.number(start)
        if (start, end) != self.line(n) or not _OPENS_VALUE.match(self.text[start:end]):
            return start, end
        for below in range(n + 1, min(n + 1 + MAX_VALUE_LOOKAHEAD, len(self._starts) - 1)):
            s, e = self.line(below)
            if s == e:
                continue
            indent, line = self.indent(below), self.text[s:e]
            if indent < self.indent(n) or (indent == self.indent(n) and _KEY_VALUE.match(line)) or below in skip:
                break
            if not _OPENS_VALUE.match(line):
                return start, min(e, start + MAX_QUOTE_CHARS)
        return start, end

    def quote(self, match_start: int, match_end: int) -> tuple[int, int]:
        """The line around a match, cut to MAX_QUOTE_CHARS centred on the match."""
        start, end = self.span(match_start)
        if end - start <= MAX_QUOTE_CHARS:
            return start, end
        centre = (match_start + min(match_end, end)) // 2
        start = max(start, centre - MAX_QUOTE_CHARS // 2)
        return start, min(end, start + MAX_QUOTE_CHARS)


def key_only(quote: str) -> bool:
    """Whether every line of a quote only opens a value (a key such as `pull_request:` whose value
    is empty, or below the quote): such a quote names the work without showing it."""
    return all(_OPENS_VALUE.match(line.strip()) for line in quote.split("\n") if line.strip())


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


class _Tree:
    """The parsed tree flattened once per artifact: its mappings and their string-keyed entries, in document order."""

    def __init__(self, tree: object) -> None:
        self.mappings = list(_walk(tree))
        self.entries = [(k, v) for mapping in self.mappings for k, v in mapping.items() if isinstance(k, str)]
        self._keys = {k for k, _ in self.entries}

    def keys_matching(self, check: StructureCheck) -> set[str]:
        """The distinct keys the check's `key` fully matches: each tested once, however often it repeats."""
        return {k for k in self._keys if check.key_re.fullmatch(k)}

    @cached_property
    def lowered(self) -> list[dict[str, object]]:
        """Per mapping, its keys lower-cased (-> the key as written)."""
        return [{str(k).lower(): k for k in mapping} for mapping in self.mappings]


def _structure_matches(check: StructureCheck, tree: _Tree) -> list[tuple[str, str]]:
    """(key, scalar value) of each node the check accepts."""
    found = []
    if check.key_re is not None:
        keys = tree.keys_matching(check)
        for key, value in tree.entries:
            if key not in keys:
                continue
            scalar = _scalar_text(value)
            if check.value_re is not None and not check.value_re.search(scalar):
                continue
            if check.non_empty and not _non_empty(value):
                continue
            found.append((key, scalar))
        return found
    for mapping, lowered in zip(tree.mappings, tree.lowered):
        if all(alts & lowered.keys() for alts in check.key_sets):
            first = next(lowered[k] for k in lowered if k in check.key_sets[0])
            found.append((str(first), _scalar_text(mapping[first])))
    return found


class _KeySites:
    """Where the keys of the parsed tree stand in the text; each key is searched for once per text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._sites: dict[str, list[tuple[int, int]]] = {}

    def locate(self, key: str, value: str) -> int | None:
        """Offset of the key's first occurrence (of MAX_KEY_SITES) that its value follows on its line
        within MAX_QUOTE_CHARS, else of its first occurrence; None if the key is not in the text
        or longer than a quote."""
        if len(key) > MAX_QUOTE_CHARS:
            return None
        if key not in self._sites:
            # the key as written ((?-i:...)), after a line start, space, brace, comma or dash, before : or =
            pattern = compile_pattern(r"""(?:^|[\s{,\-])(["']?(?-i:""" + re2.escape(key) + r""")["']?)\s*[:=]""")
            self._sites[key] = [m.span(1) for m in itertools.islice(pattern.finditer(self.text), MAX_KEY_SITES)]
        sites = self._sites[key]
        needle = value[:40]
        for start, end in sites if needle else ():
            if needle in self.text[end:end + MAX_QUOTE_CHARS].partition("\n")[0]:
                return start
        return sites[0][0] if sites else None


def _pattern_spans(patterns: list[Pattern], indicator: Indicator, lines: Lines | None) -> Iterator[tuple[int, int]]:
    if lines is None:
        return
    text, excludes = lines.text, indicator.detect.compiled_exclude
    for pattern in patterns:
        for m in itertools.islice(pattern.finditer(text), MAX_CANDIDATES):
            if excludes and any(p.match(text[m.start():m.start() + MAX_QUOTE_CHARS]) for p in excludes):
                continue
            matched = m.group()
            # a leading \s* may start on an earlier blank line: quote the line the words are on
            start = m.start() + len(matched) - len(matched.lstrip())
            yield lines.quote(start, max(m.end(), start + 1))


def _structure_spans(indicator: Indicator, lines: Lines, tree: _Tree | None,
                     sites: _KeySites) -> Iterator[tuple[int, int]]:
    if tree is None:
        return
    for check in indicator.detect.structure:
        found = _structure_matches(check, tree)
        if len(found) < check.min_count:
            continue
        for key, value in found[:MAX_CANDIDATES]:
            at = sites.locate(key, value)
            if at is not None:
                # quoted from the key on: in minified JSON its line is the whole text
                yield lines.quote(at, at + MAX_QUOTE_CHARS)


# Characters that change nothing a reader sees, used to hide words from a pattern: zero-width
# spaces and joiners, the word joiner, BOM, soft hyphen, bidirectional marks and overrides.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
                                    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def for_detection(text: str) -> str:
    """The text as injection detection reads it: invisible characters removed and NFKC applied
    (fullwidth and styled letters become plain ones). Line n stays line n: neither step adds
    or removes a line break."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE))


def injection_spans(lines: Lines, rubric: Rubric) -> list[tuple[int, int]]:
    """Lines that try to steer the grader (rubric `injection.patterns`, matched on the text as
    for_detection reads it), sorted, as spans of the original text."""
    normal = for_detection(lines.text)
    if normal is lines.text:
        found = {lines.number(m.start()) for p in rubric.injection.compiled for m in p.finditer(normal)}
    else:
        read = Lines(normal)
        found = {read.number(m.start()) for p in rubric.injection.compiled for m in p.finditer(normal)}
    return sorted(lines.line(n) for n in found)


def detect(lines: Lines, tree: object, rubric: Rubric, blocked: list[tuple[int, int]] | None = None,
           followups: Lines | None = None) -> dict[str, list[Evidence]]:
    """Indicators the artifact meets, each with its evidence (distinct lines, first ones first).

    Lines in `blocked` (suspected injection, as found by injection_spans) never count as evidence.
    `followups` is a transcript's follow-up view (same offsets), where `followup_patterns` run.
    A hit on a line that only opens a value is quoted with the value's first line (Lines.with_value).
    """
    text = lines.text
    blocked_lines = {lines.number(start) for start, _ in blocked or ()}
    flat = None if tree is None else _Tree(tree)
    sites = _KeySites(text)
    met: dict[str, list[Evidence]] = {}
    for ind in rubric.indicators:
        spans: dict[int, tuple[int, int]] = {}  # line number -> its first hit
        enough = max(MAX_HITS_PER_INDICATOR, ind.detect.min_matches)
        for span in itertools.chain(_pattern_spans(ind.detect.compiled, ind, lines),
                                    _pattern_spans(ind.detect.compiled_followup, ind, followups),
                                    _structure_spans(ind, lines, flat, sites)):
            line = lines.number(span[0])
            if span[1] > span[0] and line not in blocked_lines:
                spans.setdefault(line, span)
                if len(spans) >= enough:  # more hits change nothing: stop scanning a long artifact
                    break
        if len(spans) < ind.detect.min_matches:
            continue
        quoted = (lines.with_value(s, e, blocked_lines) for s, e in sorted(spans.values())[:MAX_HITS_PER_INDICATOR])
        met[ind.id] = [
            Evidence(indicator=ind.id, dimension=ind.dimension, level=ind.level,
                     label=ind.label, quote=text[s:e], start=s, end=e)
            for s, e in quoted
        ]
    return met
