"""Redaction of secrets and personal contact data before anything is stored or shown to a model.

Each finding becomes a typed placeholder, `[REDACTED:<kind>]`. Rules run most specific first, so a provider
key inside `api_key = "..."` is reported as that key rather than as a generic password, and placeholders never
match any rule, which makes redaction idempotent.

Every pattern starts at the beginning of a token (a negative lookbehind on the token's own characters) and
its repetitions stop at characters they cannot contain, so total work stays linear even on hostile input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel


class RedactionResult(BaseModel):
    text: str
    counts: dict[str, int]  # kind -> how many were replaced


def placeholder(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# A replacer turns one regex match into (replacement text, number of findings redacted in it).
Replacer = Callable[[re.Match[str]], tuple[str, int]]


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    replace: Replacer
    # Literals one of which every match contains, in lower case (checked against the lowered text):
    # a text holding none of them cannot match, so the rule's scan is skipped.
    needs: tuple[str, ...]

    def may_match(self, lowered: str) -> bool:
        return any(n in lowered for n in self.needs)


def redact(text: str) -> RedactionResult:
    """Replace secrets and contact details in text with typed placeholders; pure and never raises."""
    counts: dict[str, int] = {}
    lowered = text.lower()
    for rule in _RULES:
        if not rule.may_match(lowered):
            continue
        text, found = _apply(rule, text)
        if found:
            counts[rule.kind] = counts.get(rule.kind, 0) + found
            lowered = text.lower()
    return RedactionResult(text=text, counts=counts)


def _apply(rule: _Rule, text: str) -> tuple[str, int]:
    found = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal found
        replacement, n = rule.replace(match)
        found += n
        return replacement

    return rule.pattern.sub(substitute, text), found


# --- replacers ------------------------------------------------------------------------------------------------

def _whole(kind: str) -> Replacer:
    return lambda match: (placeholder(kind), 1)


def _value(kind: str, is_secret: Callable[[str, re.Match[str]], bool] = lambda value, match: True,
           groups: tuple[str, ...] = ("secret",)) -> Replacer:
    """Replace only the value group (the first of `groups` that took part), keeping key names and punctuation."""

    def replace(match: re.Match[str]) -> tuple[str, int]:
        group = next(g for g in groups if match.group(g) is not None)
        value = match.group(group)
        if not is_secret(value, match):
            return match.group(0), 0
        start, end = match.start(group) - match.start(), match.end(group) - match.start()
        whole = match.group(0)
        return whole[:start] + placeholder(kind) + whole[end:], 1

    return replace


# Values that are not secrets themselves: earlier placeholders, env / secret-store references, template
# variables, documentation fillers and booleans.
_NOT_A_SECRET = re.compile(
    r"^\[REDACTED:|^\$|\{\{|\{%|^\{[\w.]*\}$|^<[^<>]*>$|^%\(?\w*\)?s$|^(?:your|my)[_-]|xxxx|\*\*\*|\.\.\.|…"
    r"|^(?:true|false|null|none|nil|undefined|yes|no|on|off|~|read|write|changeme|placeholder|redacted|example)$"
    r"|os\.environ|os\.getenv|process\.env|\bgetenv\(|\benv\(|ENV\[|secrets\.|^env:|^vault:|^arn:aws:secretsmanager",
    re.IGNORECASE)
# An unquoted value that is code (a variable, attribute or call), as in `api_key=settings.openai_key`.
_CODE_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+[(\[]?|[A-Za-z_]\w*[(\[]")


def _is_literal_secret(value: str, match: re.Match[str]) -> bool:
    if not value or _NOT_A_SECRET.search(value):
        return False
    if match.group("bare") is not None:
        return not (_CODE_REFERENCE.fullmatch(value) or value.lower() == match.group("key").lower())
    return True


def _is_token_value(value: str, match: re.Match[str]) -> bool:
    """Bearer tokens carry digits; 'Bearer authentication' in prose does not."""
    return any(c.isdigit() for c in value) and not _NOT_A_SECRET.search(value)


def _is_url_password(value: str, match: re.Match[str]) -> bool:
    return not _NOT_A_SECRET.search(value.partition(":")[2])


# Phones -------------------------------------------------------------------------------------------------------

_MIN_PHONE_DIGITS = 9
_MAX_NATIONAL_DIGITS = 12
_MAX_INTERNATIONAL_DIGITS = 15
_MAX_PHONE_GROUPS = 6
_PHONE_GROUP = re.compile(r"\([0-9]+\)|[0-9]+")
_DATE_START = re.compile(r"[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2}|[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}")


def _redact_international_phone(match: re.Match[str]) -> tuple[str, int]:
    """+CC and digit groups: redact the longest leading run of groups that has a plausible digit count."""
    run = match.group(0)
    groups = list(_PHONE_GROUP.finditer(run))
    if _glued_to_word(match):
        groups.pop()  # "...0958abc": the last group belongs to a word, not to the number
    digits, end = 0, 0
    for group in groups:
        digits += sum(c.isdigit() for c in group.group())
        if digits > _MAX_INTERNATIONAL_DIGITS:
            break
        if digits >= _MIN_PHONE_DIGITS:
            end = group.end()
    if not end:
        return run, 0
    return placeholder("phone") + run[end:], 1


def _glued_to_word(match: re.Match[str]) -> bool:
    following = match.string[match.end():match.end() + 1]
    return following.isalnum() or following == "_"


def _redact_national_phones(match: re.Match[str]) -> tuple[str, int]:
    """Scan a run of digit groups for phone numbers.

    A phone may start at the run's first group or at any group after a space (as a fresh match would after
    an earlier redaction) and takes the longest plausible span; phones that overlap are redacted as one, so
    neither survives and a second pass finds nothing new.
    """
    run = match.group(0)
    groups = list(_PHONE_GROUP.finditer(run))
    sizes = [len(g.group().strip("()")) for g in groups]

    def phone_end(first: int) -> int | None:
        if first == 0 or run[groups[first].start() - 1] == " ":
            return _national_phone_end(run, groups, sizes, first)
        return None

    pieces, kept_from, found, i = [], 0, 0, 0
    while i < len(groups):
        end = phone_end(i)
        if end is None:
            i += 1
            continue
        inner = i + 1
        while inner <= end:  # a phone starting inside this one extends the redacted span
            later = phone_end(inner)
            if later is not None:
                end = max(end, later)
            inner += 1
        pieces += [run[kept_from:groups[i].start()], placeholder("phone")]
        kept_from, found, i = groups[end].end(), found + 1, end + 1
    pieces.append(run[kept_from:])
    return "".join(pieces), found


def _national_phone_end(run: str, groups: list[re.Match[str]], sizes: list[int], first: int) -> int | None:
    """Index of the last group of the longest phone starting at group `first`, or None.

    A phone has 9-12 digits in groups of 2+ and starts with a bracketed area code or a 0 trunk prefix,
    or is North American 3-3-4; years, versions and a leading date (2024-01-15 10...) never qualify.
    """
    start = groups[first].start()
    if _DATE_START.match(run, start):
        return None
    if run[start] not in "(0":
        return first + 2 if sizes[first:first + 3] == [3, 3, 4] else None
    digits, end = 0, None
    for last in range(first, min(len(groups), first + _MAX_PHONE_GROUPS)):
        if sizes[last] < 2:
            break
        digits += sizes[last]
        if digits > _MAX_NATIONAL_DIGITS:
            break
        if digits >= _MIN_PHONE_DIGITS:
            end = last
    return end


# --- rules, most specific first -------------------------------------------------------------------------------

# A token begins here: not in the middle of one, and not glued to a placeholder (so a second pass finds nothing).
_TOKEN_START = r"(?<![A-Za-z0-9_\]-])"
# Config keys whose value is a secret (DB_PASSWORD, "apiKey", client_secret, x-api-key ...), checked as the
# key's ending with fixed-width lookbehinds so the key itself is scanned only once.
_SECRET_KEY_ENDINGS = ("password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "secretkey",
                       "secret_key", "secret-key", "privatekey", "private_key", "private-key")
_ENDS_WITH_SECRET_KEY = "(?:" + "|".join(f"(?<={re.escape(e)})" for e in _SECRET_KEY_ENDINGS) + ")"

_RULES: tuple[_Rule, ...] = (
    # PEM private keys, also with JSON-escaped "\n" line breaks and truncated ones without an END line
    # (then up to the last key-like character, leaving the whitespace after it).
    _Rule("private_key", re.compile(
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:\s*+(?:[A-Za-z0-9+/=\\,.:]|-(?!----))++)*+"
        r"(?:\s*+-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?"), _whole("private_key"), ("-----begin",)),
    _Rule("anthropic_key", re.compile(_TOKEN_START + r"sk-ant-[A-Za-z0-9_-]{20,}"), _whole("anthropic_key"),
          ("sk-ant-",)),
    # OpenAI keys (sk-, sk-proj-, sk-svcacct-...) always contain digits; hyphenated words like sk-learn do not.
    _Rule("openai_key", re.compile(_TOKEN_START + r"sk-(?=[A-Za-z_-]{0,100}[0-9])[A-Za-z0-9_-]{20,}"),
          _whole("openai_key"), ("sk-",)),
    _Rule("stripe_key", re.compile(_TOKEN_START + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"), _whole("stripe_key"),
          ("_live_", "_test_")),
    _Rule("aws_access_key", re.compile(r"(?<![A-Za-z0-9\]])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
          _whole("aws_access_key"), ("akia", "asia")),
    _Rule("aws_secret_key", re.compile(
        r"(?<![A-Za-z0-9_\]])(?i:aws_?secret_?(?:access_?)?key)[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"), _value("aws_secret_key"), ("aws",)),
    _Rule("github_token", re.compile(_TOKEN_START + r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
          _whole("github_token"), ("gh", "github_pat_")),
    _Rule("slack_token", re.compile(_TOKEN_START + r"xox[abposr]-[A-Za-z0-9-]{10,}"), _whole("slack_token"), ("xox",)),
    _Rule("google_api_key", re.compile(_TOKEN_START + r"AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),
          _whole("google_api_key"), ("aiza",)),
    _Rule("jwt", re.compile(_TOKEN_START + r"eyJ[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]+"),
          _whole("jwt"), ("eyj",)),
    _Rule("bearer_token", re.compile(r"(?<![A-Za-z0-9_\]])(?i:bearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/=-]{8,}+)"),
          _value("bearer_token", _is_token_value), ("bearer",)),
    # scheme://user:password@host keeps scheme and host; user-only URLs (postgres://readonly@db) carry no secret.
    _Rule("url_credentials", re.compile(
        r"(?<![A-Za-z0-9+.\]-])[A-Za-z][A-Za-z0-9+.-]{0,30}://(?P<secret>[^\s:/?#@\[\]\"'<>]*:[^\s/?#@\"'<>]+)@"),
          _value("url_credentials", _is_url_password), ("://",)),
    # key = value / key: value / "key": "value" in configs, env files and code; only the value goes.
    _Rule("password", re.compile(
        r"(?<![A-Za-z0-9_.\]-])(?P<key>[A-Za-z0-9_.-]++)" + _ENDS_WITH_SECRET_KEY +
        r"\\?[\"']?[ \t]*(?:=>|:=|=(?!=)|:(?!:))[ \t]*"
        r"(?:\"(?P<dq>(?:[^\"\\\n]|\\.)*)\"|'(?P<sq>(?:[^'\\\n]|\\.)*)'|(?P<bare>(?!=)[^\s\"',;&}\])]+))",
        re.IGNORECASE), _value("password", _is_literal_secret, groups=("dq", "sq", "bare")),
          ("pass", "pwd", "secret", "token", "key")),
    # Not after "/": a user-only URL such as postgres://readonly@db.example.com names a login, not a mailbox.
    _Rule("email", re.compile(
        r"(?<![A-Za-z0-9._%+/\]-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
        r"(?![A-Za-z0-9-])"), _whole("email"), ("@",)),
    _Rule("phone", re.compile(r"(?<![\w+\]])\+[0-9]{1,3}(?:[ .-]?(?:\([0-9]{1,4}\)|[0-9]{1,6}))+"),
          _redact_international_phone, ("+",)),
    # Runs of digit groups; _redact_national_phones decides which spans are phones (not years, dates, versions).
    _Rule("phone", re.compile(
        r"(?<![\w.+/(\]-])(?:\([0-9]{2,5}\)[ .-]?|[0-9]{1,8}[ .-])[0-9]{1,8}(?:[ .-][0-9]{1,8})*(?![0-9A-Za-z_+])"),
          _redact_national_phones, tuple("0123456789")),
)
