"""The person's own turns in a transcript.

A transcript shows its author's proficiency in what they asked, gave and corrected, not in what
the assistant wrote back: an agent that explains its test plan says nothing of the user who
typed "JUST RESOLVE THE ISSUE". `person_view` keeps the user's lines and blanks every other
line (same length, same offsets), so indicators detected on it quote the artifact exactly.

Speaker formats: "User:"/"Assistant:" labels (plain, bold or as headings), SpecStory's
`_**User (…)**_` / `_**Agent (…)**_` blocks, aider chat histories (the user's lines start with
"#### "), and Copilot chat logs ("GitHub Copilot:" answering a named user).
"""

from __future__ import annotations

import re

from reviewer.patterns import compile_fixed

_USER = {"user", "human", "you", "me"}
# A speaker label at the start of a line, with what follows it on the line.
_LABEL = compile_fixed(
    r"^[ \t]*(?:#{1,6}[ \t]*|>[ \t]*)?(?:_?\*\*|__)?"
    r"(user|human|you|me|assistant|ai|chatgpt|gpt-?4o?|claude|gemini|copilot|github copilot|bard|bot|agent|cursor|model)"
    r"(?:[ \t]*\([^)\n]{0,120}\))?[ \t]*(?:(?:\*\*_?|__)[ \t]*)?(?::|$)", re.IGNORECASE | re.MULTILINE)
_AIDER = compile_fixed(r"^#### ", re.MULTILINE)
_AIDER_MARK = compile_fixed(r"^> \$ aider\b|^# aider chat started at", re.MULTILINE)
_NAMED = compile_fixed(r"^([A-Za-z0-9][\w.-]{1,38}):[ \t]", re.MULTILINE)
_COPILOT = compile_fixed(r"^GitHub Copilot:", re.MULTILINE)


def _blank(line: str) -> str:
    return " " * len(line)


def _aider(lines: list[str]) -> list[str]:
    return [line if line.startswith("#### ") else _blank(line) for line in lines]


def _labelled(lines: list[str], user_names: set[str]) -> list[str] | None:
    """Lines under a user label kept, others blanked; None when there is no user turn."""
    out, speaker, seen_user = [], None, False
    for line in lines:
        m = _LABEL.match(line)
        named = _NAMED.match(line) if user_names else None
        if m:
            speaker = "user" if m.group(1).lower() in _USER else "assistant"
        elif named and named.group(1) in user_names:
            speaker = "user"
        seen_user |= speaker == "user"
        out.append(line if speaker == "user" else _blank(line))
    return out if seen_user else None


def person_view(text: str) -> str:
    """The transcript with every line not written by its user blanked; the text itself when no
    user turn can be told apart."""
    lines = text.split("\n")
    if _AIDER_MARK.search(text) and _AIDER.search(text):
        return "\n".join(_aider(lines))
    users: set[str] = set()
    copilot = _COPILOT.search(text)
    if copilot:  # the log opens with the user's turn, under their name
        first = _NAMED.search(text[:copilot.start()])
        users = {first.group(1)} if first else set()
    kept = _labelled(lines, users)
    return text if kept is None else "\n".join(kept)
