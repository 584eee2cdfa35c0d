"""Rubric patterns compiled on RE2, a regular-expression engine whose matching time is linear in the text.

The rubric's regular expressions run on untrusted artifact text. Python's `re` backtracks, so a pattern
such as `^\\s*\\s*x` can take cubic time on a page of blank lines; RE2 (google-re2) never backtracks.
Its price is what it leaves out - backreferences, lookaround, atomic groups, possessive quantifiers,
conditionals - and a pattern using one is refused with a reason a rubric author can act on.
Note that RE2's \\w, \\d, \\s and \\b are ASCII-only where Python's are Unicode-aware.
"""

from __future__ import annotations

import re

import re2

# re2 exports no name for its compiled-pattern type.
Pattern = type(re2.compile(""))

# What RE2 lacks, recognised in a refused pattern's text to say why (not after an odd number of backslashes).
_UNESCAPED = r"(?<!\\)(?:\\\\)*"
_UNSUPPORTED = tuple((re.compile(_UNESCAPED + construct), what, advice) for construct, what, advice in (
    (r"\(\?[=!]", "a lookahead", "rewrite it without lookaround (hits to leave out go under the indicator's `exclude`)"),
    (r"\(\?<[=!]", "a lookbehind", "rewrite it without lookaround"),
    (r"(?:\\[1-9]|\(\?P=|\\g<)", "a backreference", "rewrite it without backreferences"),
    (r"\(\?>", "an atomic group", "use a plain group: RE2 never backtracks"),
    (r"[*+?}]\+", "a possessive quantifier", "use the plain quantifier: RE2 never backtracks"),
    (r"\(\?\(", "a conditional group", "rewrite it as alternatives"),
    (r"\\Z", "\\Z", "write \\z for the end of the text"),
))


def compile_fixed(pattern: str, flags: int = 0) -> Pattern:
    """One of the code's own patterns on RE2, with `re`'s IGNORECASE, MULTILINE and DOTALL flags:
    for the long keyword alternations that Python's `re` tries at every position of the text."""
    options = re2.Options()
    options.log_errors = False  # a refused pattern raises; RE2 need not also print to stderr
    options.case_sensitive = not flags & re.IGNORECASE
    # Outside POSIX mode RE2 has no multiline or dotall option: inline flags say it instead.
    inline = ("m" if flags & re.MULTILINE else "") + ("s" if flags & re.DOTALL else "")
    return re2.compile(f"(?{inline})" + pattern if inline else pattern, options)


class PatternError(ValueError):
    """A rubric pattern that cannot run on RE2; the message names the pattern and the reason."""


def compile_pattern(pattern: str) -> Pattern:
    """`pattern` on RE2 with the rubric's flags: case-insensitive, ^ and $ at line ends."""
    try:
        return compile_fixed(pattern, re.IGNORECASE | re.MULTILINE)
    except re2.error as e:
        raise PatternError(_refusal(pattern, e)) from None


def _refusal(pattern: str, error: re2.error) -> str:
    try:
        re.compile(pattern)
    except re.error as e:  # not a regular expression at all: Python's message says where
        return f"invalid regular expression {pattern!r}: {e}"
    for construct, what, advice in _UNSUPPORTED:
        if construct.search(pattern):
            return f"{pattern!r} uses {what}, which the linear-time engine (RE2) cannot run; {advice}"
    reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
    return f"{pattern!r} cannot run on the linear-time engine (RE2): {reason}"
