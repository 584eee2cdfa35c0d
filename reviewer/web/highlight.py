"""The artifact as numbered lines of plain and highlighted segments, for templates to escape."""

from __future__ import annotations


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, sorted."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def highlighted_lines(text: str, spans: list[tuple[int, int]]) -> list[list[tuple[str, bool]]]:
    """Each line of `text` as [(segment, highlighted)]; spans may cross lines."""
    marks = merged(spans)
    lines, pos = [], 0
    for line in text.split("\n"):
        end = pos + len(line)
        segs, cur = [], pos
        for s, e in marks:
            s, e = max(s, pos), min(e, end)
            if s >= e:
                continue
            if s > cur:
                segs.append((text[cur:s], False))
            segs.append((text[s:e], True))
            cur = e
        if cur < end or not segs:
            segs.append((text[cur:end], False))
        lines.append(segs)
        pos = end + 1
    return lines
