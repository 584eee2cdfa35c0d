"""The person's own turns in a transcript.

A transcript shows its author's proficiency in what they asked, gave and corrected, not in what
the assistant wrote back: an agent that explains its test plan says nothing of the user who
typed "JUST RESOLVE THE ISSUE". `person_view` keeps the user's lines and blanks every other
line (same length, same offsets), so indicators detected on it quote the artifact exactly.

`followup_view` keeps only what the user wrote after the assistant first answered: how they
iterated on the answer (corrected it, challenged a figure, asked for a change).

Speaker formats: "User:"/"Assistant:" labels (plain, bold or as headings; ChatGPT's copied
"You said:"/"ChatGPT said:" too), SpecStory's `_**User (…)**_` / `_**Agent (…)**_` blocks,
aider chat histories (the user's lines start with "#### "), and Copilot chat logs ("GitHub
Copilot:" answering a named user).
"""

from __future__ import annotations

import re

from reviewer.patterns import compile_fixed

_USER = {"user", "human", "you", "me"}
# A speaker label at the start of a line, with what follows it on the line.
_LABEL = compile_fixed(
    r"^[ \t]*(?:#{1,6}[ \t]*|>[ \t]*)?(?:_?\*\*|__)?"
    r"(user|human|you|me|assistant|ai|chatgpt|gpt-?4o?|claude|gemini|copilot|github copilot|bard|bot|agent|cursor|model)"
    r"(?:[ \t]*\([^)\n]{0,120}\))?(?:[ \t]+said)?[ \t]*(?:(?:\*\*_?|__)[ \t]*)?(?::|$)", re.IGNORECASE | re.MULTILINE)
_AIDER = compile_fixed(r"^#### ", re.MULTILINE)
_AIDER_MARK = compile_fixed(r"^> \$ aider\b|^# aider chat started at", re.MULTILINE)
_NAMED = compile_fixed(r"^([A-Za-z0-9][\w.-]{1,38}):[ \t]", re.MULTILINE)
_COPILOT = compile_fixed(r"^GitHub Copilot:", re.MULTILINE)


def _aider(lines: list[str]) -> list[bool]:
    return [line.startswith("#### ") for line in lines]


def _labelled(lines: list[str], user_names: set[str]) -> list[bool] | None:
    """Per line, whether it is under a user label; None when there is no user turn."""
    out, speaker = [], None
    for line in lines:
        m = _LABEL.match(line)
        named = _NAMED.match(line) if user_names else None
        if m:
            speaker = "user" if m.group(1).lower() in _USER else "assistant"
        elif named and named.group(1) in user_names:
            speaker = "user"
        out.append(speaker == "user")
    return out if any(out) else None


def _users_lines(text: str) -> list[bool] | None:
    """Per line of the transcript, whether its user wrote it; None when no user turn can be told apart."""
    lines = text.split("\n")
    if _AIDER_MARK.search(text) and _AIDER.search(text):
        return _aider(lines)
    users: set[str] = set()
    copilot = _COPILOT.search(text)
    if copilot:  # the log opens with the user's turn, under their name
        first = _NAMED.search(text[:copilot.start()])
        users = {first.group(1)} if first else set()
    return _labelled(lines, users)


def _keep(lines: list[str], kept: list[bool]) -> str:
    """The lines with every one not kept blanked (same length, so offsets stay)."""
    return "\n".join(line if keep else " " * len(line) for line, keep in zip(lines, kept))


def person_view(text: str) -> str:
    """The transcript with every line not written by its user blanked; the text itself when no
    user turn can be told apart."""
    mine = _users_lines(text)
    return text if mine is None else _keep(text.split("\n"), mine)


def followup_view(text: str) -> str | None:
    """The transcript with only its user's lines after the first answer kept (the others blanked);
    None when no user turn can be told apart."""
    mine = _users_lines(text)
    if mine is None:
        return None
    lines, asked, answered, kept = text.split("\n"), False, False, []
    for line, by_user in zip(lines, mine):
        answered |= asked and not by_user and bool(line.strip())
        asked |= by_user
        kept.append(by_user and answered)
    return _keep(lines, kept)
