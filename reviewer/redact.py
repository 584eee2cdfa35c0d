"""Redaction of secrets and personal contact data before anything is stored or shown to a model.

Each finding becomes a typed placeholder, `[REDACTED:<kind>]`. Steps run most specific first, so a provider
key inside `api_key = "..."` is reported as that key rather than as a generic password, and placeholders never
match any step, which makes redaction idempotent.

The rules come from two places. Yelp's detect-secrets (a maintained rule set) supplies the provider formats it
knows (AWS, Azure storage, GitLab, SendGrid, Slack webhooks, Twilio, ...) and its keyword rules; its plugin's
kind is named after the plugin's secret type ("GitLab Token" -> gitlab_token). The hand-written patterns here
cover what it misses: PEM blocks, provider keys it lacks (Anthropic, current OpenAI keys, Hugging Face and other
prefixes from gitleaks' rule set), keys split across lines or wrapped in base64, a bare AWS secret key, Basic
credentials (URLs, headers, curl -u), YAML block scalars, `key = value` with a secret-named key or a
random-looking value, passwords in prose, emails and phone numbers.

All of it is linear in the text. Every hand-written pattern starts at the beginning of a token (a negative
lookbehind on the token's own characters) and its repetitions stop at characters they cannot contain.
detect-secrets' patterns run on RE2 where RE2 takes them; those it refuses repeat without bound only over
spaces, and scan with long runs of spaces cut short (see _Detector); its keyword patterns are tried at the first
keyword of each word, read a bounded stretch from there and stop at their first match in a line (see
_keyword_findings).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import re2
from detect_secrets.filters import heuristic
from detect_secrets.plugins import keyword as ds_keyword
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from pydantic import BaseModel

from reviewer.patterns import Pattern as Re2Pattern
from reviewer.patterns import compile_fixed


class RedactionResult(BaseModel):
    text: str
    counts: dict[str, int]  # kind -> how many were replaced


def placeholder(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def redact(text: str) -> RedactionResult:
    """Replace secrets and contact details in text with typed placeholders; pure and never raises."""
    text, kinds = _scan(_STEPS, text)
    return RedactionResult(text=text, counts=dict(Counter(kinds)))


class _Step(Protocol):
    def may_match(self, lowered: str) -> bool: ...

    def apply(self, text: str) -> tuple[str, list[str]]:
        """The text with this step's findings replaced, and the kind of each finding."""
        ...


def _scan(steps: tuple[_Step, ...], text: str) -> tuple[str, list[str]]:
    kinds: list[str] = []
    lowered = text.lower()
    for step in steps:
        if not step.may_match(lowered):
            continue
        text, found = step.apply(text)
        if found:
            kinds += found
            lowered = text.lower()
    return text, kinds


# A replacer turns one regex match into (replacement text, kinds of the findings redacted in it).
Replacer = Callable[[re.Match[str]], tuple[str, list[str]]]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    replace: Replacer
    # Literals one of which every match contains, in lower case (checked against the lowered text):
    # a text holding none of them cannot match, so the rule's scan is skipped. Empty: any text may match.
    needs: tuple[str, ...] = ()
    # For a rule whose matches stay within a line: a pattern on RE2 that every line with a match matches, so
    # the slower `pattern` scans only those lines.
    lines: Re2Pattern | None = None

    def may_match(self, lowered: str) -> bool:
        return not self.needs or any(n in lowered for n in self.needs)

    def apply(self, text: str) -> tuple[str, list[str]]:
        kinds: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            replacement, found = self.replace(match)
            kinds.extend(found)
            return replacement

        if self.lines is None:
            return self.pattern.sub(substitute, text), kinds
        pieces, kept_from = [], 0
        for start, end in _lines_holding(self.lines, text):
            pieces += [text[kept_from:start], self.pattern.sub(substitute, text[start:end])]
            kept_from = end
        pieces.append(text[kept_from:])
        return "".join(pieces), kinds


# --- replacers ------------------------------------------------------------------------------------------------

def _whole(kind: str, is_secret: Callable[[str], bool] = lambda value: True) -> Replacer:
    return lambda match: (placeholder(kind), [kind]) if is_secret(match.group()) else (match.group(), [])


def _value(kind: str | Callable[[re.Match[str]], str | None], groups: tuple[str, ...] = ("secret",)) -> Replacer:
    """Replace only the value group (the first of `groups` that took part), keeping key names and punctuation.

    `kind` is the kind, or a function of the match giving it (None: not a secret, left as it is).
    """

    def replace(match: re.Match[str]) -> tuple[str, list[str]]:
        found = kind(match) if callable(kind) else kind
        if found is None:
            return match.group(), []
        group = next(g for g in groups if match.group(g) is not None)
        start, end = match.start(group) - match.start(), match.end(group) - match.start()
        whole = match.group()
        return whole[:start] + placeholder(found) + whole[end:], [found]

    return replace


def _if(kind: str, is_secret: Callable[[str], bool], groups: tuple[str, ...] = ("secret",)) -> Replacer:
    """_value for a fixed kind, when the first group of `groups` that took part passes `is_secret`."""
    return _value(lambda m: kind if is_secret(next(v for g in groups if (v := m.group(g)) is not None)) else None,
                  groups)


# --- what a value is ------------------------------------------------------------------------------------------

# Values that are not secrets themselves: earlier placeholders, env / secret-store references, template
# variables, documentation fillers, booleans and YAML block-scalar indicators.
_NOT_A_SECRET = re.compile(
    r"^\[REDACTED:|^\$|\{\{|\{%|^\{[\w.]*\}$|^<[^<>]*>$|^%\(?\w*\)?s$|^(?:your|my|fake|dummy)[_-]"
    r"|xxxx|\*\*\*|\.\.\.|…|^[|>][0-9]?[+-]?[0-9]?$"
    r"|^(?:true|false|null|none|nil|undefined|yes|no|on|off|~|read|write|changeme|placeholder|redacted|example"
    r"|fake|dummy|string)$"
    r"|os\.environ|os\.getenv|process\.env|\bgetenv\(|\benv\(|ENV\[|secrets\.|^env:|^vault:|^arn:aws:secretsmanager",
    re.IGNORECASE)
# An unquoted value that is code, not a literal: a dotted name or a call (settings.openai_key, get_token()),
# a constant or a variable (OPENAI_API_KEY, openaiKey), or a type or keyword (`apiKey: string`, `= await f()`).
_CODE_REFERENCE = re.compile(
    r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+[(\[]?|[A-Za-z_]\w*[(\[]|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+(?:[A-Z][a-z]+)+"
    r"|str|string|int|number|bool|boolean|bytes|any|object|await|async|new|function|lambda|self|this")

# Key names whose value is a secret whatever it looks like (DB_PASSWORD, "apiKey", client_secret, x-api-key,
# DB_PASS, AccountKey ...), checked as the key's ending.
_SECRET_KEY_ENDINGS = ("password", "passwd", "pwd", "passphrase", "_pass", "-pass", ".pass", "secret", "token",
                       "apikey", "api_key", "api-key", "secretkey", "secret_key", "secret-key", "privatekey",
                       "private_key", "private-key", "accountkey", "account_key")
_ENDS_WITH_SECRET_KEY = "(?:" + "|".join(f"(?<={re.escape(e)})" for e in _SECRET_KEY_ENDINGS) + ")"
_SECRET_KEY = re.compile("(?:" + "|".join(map(re.escape, _SECRET_KEY_ENDINGS)) + r")\W*$", re.IGNORECASE)
# Words that make a key name key-like (gitleaks' generic-api-key keywords and a few more): its value is a
# secret when it looks random. A hex value (a hash) counts only next to a name more specific than "key".
_KEY_LIKE = r"key|token|secret|passw|pwd|pass|auth|credential|creds|access|private|signature"
_HEX_SECRET_KEY = re.compile(r"token|secret|passw|pwd|auth|credential|creds|private|signature|api_?key",
                             re.IGNORECASE)
_RANDOM_TOKEN = re.compile(r"(?=[A-Za-z+/_=-]*[0-9])(?=[0-9+/_=-]*[A-Za-z])[A-Za-z0-9+/_=-]{12,}")
_SEPARATOR = re.compile(r"[-_.]")
_MIN_RANDOM_ENTROPY = 3.5  # bits per character, gitleaks' threshold for generic keys
_HEX = re.compile(r"[0-9a-fA-F]+")


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    return -sum(n / len(value) * math.log2(n / len(value)) for n in Counter(value).values())


def _looks_random(value: str, hex_counts: bool = True) -> bool:
    return (bool(_RANDOM_TOKEN.fullmatch(value)) and _entropy(value) >= _MIN_RANDOM_ENTROPY
            and (hex_counts or not _HEX.fullmatch(value)) and not _is_slug(value)
            and not heuristic.is_potential_uuid(value) and not heuristic.is_sequential_string(value))


def _is_slug(value: str) -> bool:
    """Two or more lower-case words: a slug or a name (v2-rust-backend, claude-3-5-sonnet-20241022), not a key."""
    return sum(len(part) >= 3 and part.isalpha() and part.islower() for part in _SEPARATOR.split(value)) >= 2


def _is_literal(value: str, key: str, bare: bool) -> bool:
    """A value written out in the text, not a reference, template or filler."""
    if not value or _NOT_A_SECRET.search(value):
        return False
    return not bare or not (_CODE_REFERENCE.fullmatch(value) or value.lower() == key.lower())


def _keyed_kind(key: str, value: str, bare: bool) -> str | None:
    """The kind of `value` assigned to `key`: any literal for a secret-named key (password), a random-looking
    one for a key that only mentions one, like private_key_id or auth_header (secret); else None."""
    if not _is_literal(value, key, bare):
        return None
    if _SECRET_KEY.search(key):
        return "password"
    return "secret" if _looks_random(value, hex_counts=bool(_HEX_SECRET_KEY.search(key))) else None


def _is_url_password(value: str) -> bool:
    """`user:password`, the password neither empty nor a reference; `1000:1000` (uid:gid) is no credential."""
    user, _, password = value.partition(":")
    return bool(password) and not _NOT_A_SECRET.search(password) and not (user.isdigit() and password.isdigit())


def _is_token_value(value: str) -> bool:
    """Bearer tokens carry digits; 'Bearer authentication' in prose does not."""
    return any(c.isdigit() for c in value) and not _NOT_A_SECRET.search(value)


def _decoded_base64(value: str) -> str | None:
    """Standard or URL-safe base64 (whitespace and escaped line breaks removed) decoded to printable text."""
    packed = re.sub(r"\s+|\\n", "", value).rstrip("=").replace("-", "+").replace("_", "/")
    if len(packed) % 4 == 1:
        return None
    try:
        decoded = base64.b64decode(packed + "=" * (-len(packed) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if decoded and "".join(decoded.split()).isprintable() else None


def _is_basic_credential(value: str) -> bool:
    """An `Authorization: Basic` value: base64 of user:password, or at least token-like."""
    decoded = _decoded_base64(value)
    return (decoded is not None and ":" in decoded) or (len(value) >= 12 and _is_token_value(value))


def _is_prose_password(value: str) -> bool:
    """'my password is hunter2' but not 'the password is incorrect': digits, symbols or inner capitals."""
    return (not _NOT_A_SECRET.search(value)
            and (not value.isalpha() or value[1:] != value[1:].lower()) and "[REDACTED:" not in value)


def _is_aws_secret(value: str) -> bool:
    """40 characters of base64 with upper and lower case and digits, as random as a real key."""
    return (any(c.isdigit() for c in value) and value.lower() != value and value.upper() != value
            and _entropy(value) >= 4.2)


_NO_REPLY = re.compile(r"(?:no-?reply|do-?not-?reply|git)@", re.IGNORECASE)


def _is_contact_email(value: str) -> bool:
    """Mailboxes that nobody reads (noreply@) or SSH logins (git@github.com) are no contact details."""
    return not _NO_REPLY.match(value)


# --- phones ---------------------------------------------------------------------------------------------------

_MIN_PHONE_DIGITS = 9
_MAX_NATIONAL_DIGITS = 12
_MAX_INTERNATIONAL_DIGITS = 15
_MAX_PHONE_GROUPS = 6
_PHONE_GROUP = re.compile(r"\([0-9]+\)|[0-9]+")
_DATE_START = re.compile(r"[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2}|[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}")


def _redact_international_phone(match: re.Match[str]) -> tuple[str, list[str]]:
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
        return run, []
    return placeholder("phone") + run[end:], ["phone"]


def _glued_to_word(match: re.Match[str]) -> bool:
    following = match.string[match.end():match.end() + 1]
    return following.isalnum() or following == "_"


def _redact_national_phones(match: re.Match[str]) -> tuple[str, list[str]]:
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
    return "".join(pieces), ["phone"] * found


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


# --- detect-secrets -------------------------------------------------------------------------------------------

_KIND_ALIASES = {"json_web_token": "jwt", "stripe_access_key": "stripe_key", "openai_token": "openai_key"}


def _kind(plugin: type[BasePlugin]) -> str:
    """A placeholder kind from a plugin's secret type: "GitLab Token" -> gitlab_token (or the name the
    hand-written rule for the same format uses)."""
    kind = re.sub(r"[^a-z0-9]+", "_", plugin.secret_type.lower()).strip("_")
    return _KIND_ALIASES.get(kind, kind)


def _plausible(value: str) -> bool:
    """detect-secrets' default heuristic filters, and this module's: no placeholder, reference or filler."""
    return not (_NOT_A_SECRET.search(value) or "[REDACTED:" in value or heuristic.is_templated_secret(value)
                or heuristic.is_prefixed_with_dollar_sign(value) or heuristic.is_sequential_string(value)
                or heuristic.is_potential_uuid(value) or heuristic.is_not_alphanumeric_string(value))


# The secret in a whole match: without the delimiters Artifactory's patterns take in or the key name Azure's does.
_MATCH_EDGES = re.compile(r"[\s\"'=:]*(?:AccountKey=)?(?P<secret>.*?)[\s\"']*", re.DOTALL)
_MIN_GROUP_SECRET = 8


def _reported_span(match: re.Match[str]) -> tuple[int, int]:
    """Where the secret is in a match of a plugin's pattern: the first capturing group that holds a value, else
    the match. A group at the match's start or shorter than 8 characters is part of the token (GitHub's
    pattern captures `ghp`, GitLab's `glpat`): detect-secrets' own analyze_string reports just that."""
    for i in range(1, len(match.groups()) + 1):
        start, end = match.span(i)
        if start > match.start() and end - start >= _MIN_GROUP_SECRET:
            return start, end
    edges = _MATCH_EDGES.fullmatch(match.group())
    return match.start() + edges.start("secret"), match.start() + edges.end("secret")


_LONG_SPACE_RUN = re.compile(" {9,}")
_LONG_TOKEN = compile_fixed(r"[A-Za-z0-9_-]{24}")


def _re2_safe(text: str) -> str:
    """RE2 takes UTF-8: lone surrogates become "?", one character for one, so positions hold."""
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def _spaces_cut(text: str) -> str:
    """Runs of spaces cut to 8, the rest masked with NULs so positions hold."""
    return _LONG_SPACE_RUN.sub(lambda run: " " * 8 + "\0" * (len(run.group()) - 8), text)


@cache
def _on_re2(pattern: re.Pattern[str]) -> Re2Pattern | None:
    """A plugin's pattern on RE2, or None where RE2 refuses it (lookaround) or cannot express its flags (VERBOSE,
    which changes nothing in a pattern without white space or #)."""
    if pattern.flags & re.VERBOSE and re.search(r"[\s#]", pattern.pattern):
        return None
    try:
        return compile_fixed(pattern.pattern, pattern.flags)
    except re2.error:
        return None


# A regular expression's pieces: an escape, a character class, a lookaround's opening, a parenthesis, other text.
_PATTERN_PIECE = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\(\?<?[=!]|[()]|[^\\\[()]+", re.DOTALL)


def _without_lookarounds(source: str) -> str:
    """A pattern with its lookahead and lookbehind groups left out: it matches wherever the pattern does."""
    kept, depth = [], 0  # depth: inside a lookaround, how many of its parentheses are open
    for piece in _PATTERN_PIECE.findall(source):
        if depth:
            depth += 1 if piece[0] == "(" else -1 if piece == ")" else 0
        elif piece[0] == "(" and len(piece) > 1:
            depth = 1
        else:
            kept.append(piece)
    return "".join(kept)


@dataclass(frozen=True)
class _Detector:
    """The patterns of a detect-secrets regex plugin: the secret in each match becomes `[REDACTED:<kind>]`.

    Patterns run on RE2. Those RE2 refuses stay on `re`: they repeat without bound only over spaces
    (`key *= *value`), which takes cubic time on a long run of them, so they scan with space runs cut short
    (see _spaces_cut), and only lines where a finder on RE2 matches: the pattern without its lookarounds, or,
    where RE2 refuses even that, a run of 24+ token characters (each such pattern's secret is one).
    """
    kind: str
    on_re2: tuple[Re2Pattern, ...]
    on_re: tuple[tuple[Re2Pattern, re.Pattern[str]], ...]  # (line finder, pattern)
    is_valid: Callable[[str], bool]

    @classmethod
    def of(cls, plugin: type[RegexBasedDetector]) -> _Detector:
        on_re2 = tuple(filter(None, map(_on_re2, plugin.denylist)))
        on_re = tuple((_finder(p), p) for p in plugin.denylist if _on_re2(p) is None)
        # the one plugin whose analyze_string adds a check of its own
        is_valid = JwtTokenDetector.is_formally_valid if plugin is JwtTokenDetector else bool
        return cls(_kind(plugin), on_re2, on_re, is_valid)

    def apply(self, text: str) -> tuple[str, list[str]]:
        scanned = _re2_safe(text)
        spans = [_reported_span(match) for pattern in self.on_re2 for match in pattern.finditer(scanned)]
        spans += [(line_start + start, line_start + end)
                  for finder, pattern in self.on_re for line_start, line_end in _lines_holding(finder, text)
                  for match in pattern.finditer(_spaces_cut(text[line_start:line_end]))
                  for start, end in [_reported_span(match)]]
        return _replace_spans(text, [(start, end) for start, end in spans
                                     if _plausible(value := text[start:end]) and self.is_valid(value)],
                              self.kind, whole_tokens=True)


@cache
def _finder(pattern: re.Pattern[str]) -> Re2Pattern:
    try:
        return compile_fixed(_without_lookarounds(pattern.pattern), pattern.flags)
    except re2.error:
        return _LONG_TOKEN


@dataclass(frozen=True)
class _Detectors:
    """Several detect-secrets plugins as one step. One RE2 pass over all their RE2 patterns at once (and one
    for a long token) tells whether any can match: most texts, and most pieces of a split key, skip the rest."""
    detectors: tuple[_Detector, ...]
    any_match: Re2Pattern

    @classmethod
    def of(cls, *plugins: type[RegexBasedDetector]) -> _Detectors:
        detectors = tuple(map(_Detector.of, plugins))
        finders = [pattern.pattern for detector in detectors
                   for pattern in (*detector.on_re2, *(finder for finder, _ in detector.on_re))]
        return cls(detectors, compile_fixed("|".join(f"(?:{finder})" for finder in finders)))

    def may_match(self, lowered: str) -> bool:
        return True

    def apply(self, text: str) -> tuple[str, list[str]]:
        if not self.any_match.search(_re2_safe(text)):
            return text, []
        kinds: list[str] = []
        for detector in self.detectors:
            text, found = detector.apply(text)
            kinds += found
        return text, kinds


# detect-secrets' keyword patterns (every file type's), each with the group that holds the value.
_KEYWORD_PATTERNS = tuple({pattern: group for by_type in ds_keyword.REGEX_BY_FILETYPE.values()
                           for pattern, group in by_type.items()}.items())
# How far past its keyword a keyword pattern reads: their value pattern starts with a lookahead that scans
# to the next quote, every time it is tried.
_KEYWORD_REACH = 256
_KEYWORD = compile_fixed("|".join(ds_keyword.DENYLIST), re.IGNORECASE)
# A word holding one of detect-secrets' keywords (not a placeholder's kind); `kw` is the first keyword in it.
_KEYWORD_WORD = re.compile(r"(?<!\w)(?<!\[REDACTED:)\w*?(?P<kw>" + "|".join(ds_keyword.DENYLIST) + r")\w*", re.IGNORECASE)


def _keyword_findings(line: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, key word) of each value detect-secrets' keyword patterns report in one line.

    As in detect-secrets, each pattern reports its first match. Its own search tries every keyword in a word,
    and each try scans to the next quote, so a long line of keywords costs quadratic time. Here a pattern
    that starts with the keyword is tried at the first keyword of each word only (a later one in the same
    word reaches the same value) and reads at most _KEYWORD_REACH characters from there; backticks read as '
    (one character for one), as the value pattern stops at ' but not at a backtick, and the one pattern that
    starts at a quote would otherwise scan from each backtick to the line's end.
    """
    line = line.replace("`", "'")
    words = [(word.start("kw"), word.group()) for word in _KEYWORD_WORD.finditer(line)]
    for pattern, group in _KEYWORD_PATTERNS:
        if pattern.pattern.startswith(ds_keyword.DENYLIST_REGEX):
            match, key = next(((m, word) for start, word in words
                               if (m := pattern.match(line, start, start + _KEYWORD_REACH))), (None, ""))
        elif match := pattern.search(line):  # "value" == password: the key word follows the value
            key = word.group() if (word := _KEYWORD_WORD.search(line, match.end(group))) else ""
        if match:
            yield match.start(group), match.end(group), key


@dataclass(frozen=True)
class _KeywordDetector:
    """detect-secrets' KeywordDetector: values next to keywords (password, secret, api_key, db_pass ...), in
    assignments and comparisons of any file type, judged like the hand-written `key = value` rule."""
    def may_match(self, lowered: str) -> bool:
        return True

    def apply(self, text: str) -> tuple[str, list[str]]:
        spans: list[tuple[int, int]] = []
        for line_start, line_end in _lines_holding(_KEYWORD, text):
            line = text[line_start:line_end]
            for start, end, key in _keyword_findings(line):
                quoted = start > 0 and line[start - 1] in "\"'`"
                if not quoted:  # unquoted: up to where a bare value ends
                    end = start + _BARE_VALUE.match(line, start, end).end() - start
                if _keyed_kind(key, line[start:end], bare=not quoted):
                    spans.append((line_start + start, line_start + end))
        return _replace_spans(text, spans, _kind(ds_keyword.KeywordDetector))


_LONG_QUOTED_RUN = compile_fixed(r"[\"'][A-Za-z0-9+/\\_=-]{23}")


@dataclass(frozen=True)
class _HighEntropyStrings:
    """detect-secrets' Base64HighEntropyString: a quoted string of base64 characters above its entropy limit
    (4.5 bits), unless its name says it is an id. The hex sibling is left out: in the eval artifacts all it
    found were hashes (n8n instance ids)."""
    plugin: Base64HighEntropyString

    def may_match(self, lowered: str) -> bool:
        return True

    def apply(self, text: str) -> tuple[str, list[str]]:
        spans = []
        # above 4.5 bits a string has 23+ distinct characters
        for line_start, line_end in _lines_holding(_LONG_QUOTED_RUN, text):
            for match in self.plugin.regex.finditer(text, line_start, line_end):
                value, (start, end) = match.group(2), match.span(2)
                # the id check reads the line before the value: at most 100 characters keep the work linear
                before = max(line_start, start - 100)
                if (self.plugin.calculate_shannon_entropy(value) > self.plugin.entropy_limit and _plausible(value)
                        and not heuristic.is_likely_id_string(value, text[before:end])):
                    spans.append((start, end))
        return _replace_spans(text, spans, _kind(Base64HighEntropyString))


def _lines_holding(finder: Re2Pattern, text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line with a match of `finder`, each line once."""
    line_end = -1
    for match in finder.finditer(_re2_safe(text)):
        if match.start() <= line_end:
            continue
        line_end = text.find("\n", match.start())
        line_end = len(text) if line_end < 0 else line_end
        yield text.rfind("\n", 0, match.start()) + 1, line_end


_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_-]*")


def _replace_spans(text: str, spans: list[tuple[int, int]], kind: str,
                   whole_tokens: bool = False) -> tuple[str, list[str]]:
    """Each span (overlaps merged into the first) becomes a placeholder. `whole_tokens` widens a span to the
    token around it: detect-secrets' patterns have no boundaries, and a remnant glued to a placeholder could
    match another rule on a second pass."""
    pieces, kept_from = [], 0
    for start, end in sorted(set(spans)):
        if start < kept_from or end <= start:
            continue
        if whole_tokens:
            while start > kept_from and text[start - 1] in _TOKEN_CHARS:
                start -= 1
            end = _TOKEN_TAIL.match(text, end).end()
        pieces += [text[kept_from:start], placeholder(kind)]
        kept_from = end
    pieces.append(text[kept_from:])
    return "".join(pieces), [kind] * (len(pieces) // 2)


# --- rules, most specific first -------------------------------------------------------------------------------

# A token begins here: not in the middle of one, and not glued to a placeholder (so a second pass finds nothing).
_TOKEN_START = r"(?<![A-Za-z0-9_\]-])"
# A key name begins here (keys may contain dots: smtp.password).
_KEY_START = r"(?<![A-Za-z0-9_.\]-])"
# An unquoted value ends at white space, a quote or a separator; `&` only where a query parameter follows
# (`?db=x&user=y`), as passwords contain it (Tr0ub4dor&3).
_BARE = r"(?!=)(?:[^\s\"',;&}\])]|&(?![A-Za-z0-9_.-]+=))++"
_BARE_VALUE = re.compile(_BARE + "|")
# key = value / key: value / "key": "value" / \"key\": \"value\" in configs, env files and code.
_ASSIGNED_VALUE = (r"\\?[\"']?[ \t]*(?:=>|:=|=(?!=)|:(?!:))[ \t]*"
                   r"(?:\"(?P<dq>(?:[^\"\\\n]|\\.)*)\"|'(?P<sq>(?:[^'\\\n]|\\.)*)'"
                   r"|\\\"(?P<edq>(?:[^\"\\\n]|\\[^\"\n])*)\\\"|(?P<bare>" + _BARE + "))")
_KEY_CHARS = r"[A-Za-z0-9_.-]"


def _keyed_value(match: re.Match[str]) -> str | None:
    value_group = next(g for g in ("dq", "sq", "edq", "bare") if match.group(g) is not None)
    return _keyed_kind(match.group("key"), match.group(value_group), bare=value_group == "bare")


# Provider tokens from gitleaks' rule set that neither detect-secrets nor the rules above know, by shape:
# kind, a literal every token holds (lower case), shape.
_PROVIDER_TOKENS = (
    ("huggingface_token", "hf_", r"hf_(?=[a-z0-9]*[A-Z])[A-Za-z0-9]{30,}"),
    ("huggingface_token", "api_org_", r"api_org_(?=[a-z0-9]*[A-Z])[A-Za-z0-9]{30,}"),
    ("npm_token", "npm_", r"npm_[A-Za-z0-9]{36}"),
    ("groq_key", "gsk_", r"gsk_[A-Za-z0-9]{48,}"),
    ("replicate_token", "r8_", r"r8_[A-Za-z0-9]{37}"),
    ("xai_key", "xai-", r"xai-[A-Za-z0-9]{70,}"),
    ("perplexity_key", "pplx-", r"pplx-[A-Za-z0-9]{40,}"),
    ("langsmith_key", "lsv2_", r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"),
    ("tavily_key", "tvly-", r"tvly-(?:dev-)?[A-Za-z0-9]{32}"),
    ("digitalocean_token", "_v1_", r"do[opr]_v1_[a-f0-9]{64}"),
    ("shopify_token", "shp", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    ("linear_key", "lin_api_", r"lin_api_[A-Za-z0-9]{40}"),
    ("postman_key", "pmak-", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    ("doppler_token", "dp.pt.", r"dp\.pt\.[A-Za-z0-9]{43}"),
    ("databricks_token", "dapi", r"dapi[a-f0-9]{32}(?:-[0-9]+)?"),
    ("grafana_token", "glsa_", r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    ("grafana_token", "glc_", r"glc_[A-Za-z0-9+/]{32,}={0,2}"),
    ("vault_token", "hv", r"hv[sb]\.[A-Za-z0-9_-]{24,}"),
    ("newrelic_key", "nrak-", r"NRAK-[A-Z0-9]{27}"),
    ("mailgun_key", "key-", r"key-[a-f0-9]{32}"),
    ("square_token", "sq0atp-", r"sq0atp-[A-Za-z0-9_-]{22}"),
    ("discord_webhook", "discord",
     r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{60,}"),
)
_PROVIDER_TOKEN_KINDS = [kind for kind, _, _ in _PROVIDER_TOKENS]

_PROVIDER_RULES: tuple[_Rule, ...] = (
    _Rule(re.compile(_TOKEN_START + r"sk-ant-[A-Za-z0-9_-]{20,}"), _whole("anthropic_key"), ("sk-ant-",)),
    # OpenAI keys (sk-, sk-proj-, sk-svcacct-...) always contain digits; hyphenated words like sk-learn do not.
    _Rule(re.compile(_TOKEN_START + r"sk-(?=[A-Za-z_-]{0,100}[0-9])[A-Za-z0-9_-]{20,}"), _whole("openai_key"),
          ("sk-",)),
    _Rule(re.compile(_TOKEN_START + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"), _whole("stripe_key"),
          ("_live_", "_test_")),
    _Rule(re.compile(r"(?<![A-Za-z0-9\]])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"), _whole("aws_access_key"),
          ("akia", "asia")),
    _Rule(re.compile(
        r"(?<![A-Za-z0-9_\]])(?i:aws_?secret_?(?:access_?)?key)[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"), _value("aws_secret_key"), ("aws",)),
    _Rule(re.compile(_TOKEN_START + r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
          _whole("github_token"), ("gh", "github_pat_")),
    _Rule(re.compile(_TOKEN_START + r"xox[abposr]-[A-Za-z0-9-]{10,}"), _whole("slack_token"), ("xox",)),
    _Rule(re.compile(_TOKEN_START + r"AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"), _whole("google_api_key"),
          ("aiza",)),
    _Rule(re.compile(_TOKEN_START + r"eyJ[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]+"), _whole("jwt"),
          ("eyj",)),
    # one group per table row, named by its position (kinds repeat)
    _Rule(re.compile(_TOKEN_START + "(?:" + "|".join(f"(?P<t{i}>{shape})"
                                                     for i, (_, _, shape) in enumerate(_PROVIDER_TOKENS))
                     + r")(?![A-Za-z0-9_-])"),
          lambda match: (placeholder(kind := _PROVIDER_TOKEN_KINDS[int(match.lastgroup[1:])]), [kind]),
          tuple(literal for _, literal, _ in _PROVIDER_TOKENS)),
)

_DETECTORS = _Detectors.of(
    AWSKeyDetector, ArtifactoryDetector, AzureStorageKeyDetector, CloudantDetector, DiscordBotTokenDetector,
    GitHubTokenDetector, GitLabTokenDetector, IbmCloudIamDetector, IbmCosHmacDetector, JwtTokenDetector,
    MailchimpDetector, NpmDetector, OpenAIDetector, PypiTokenDetector, SendGridDetector, SlackDetector,
    SoftlayerDetector, SquareOAuthDetector, StripeDetector, TelegramBotTokenDetector, TwilioKeyDetector)
_PROVIDERS: tuple[_Step, ...] = (*_PROVIDER_RULES, _DETECTORS)


# A provider key split across lines: "sk-proj-abc" + newline + "def" (string concatenation in most languages,
# implicit in Python), a backslash continuation, or a hard wrap onto a line holding nothing but the rest.
_SPLIT_JOIN = re.compile(
    r"[\"'`][ \t+&.\\]*+\r?\n[ \t+&.]*+[A-Za-z]?[\"'`]"
    r"|\\\r?\n[ \t]*+"
    r"|\r?\n[ \t]*+(?=[A-Za-z0-9_.-]*?[0-9])(?=[A-Za-z0-9_.-]{8,}+[ \t]*+(?:\r?\n|$))")


def _redact_split_key(match: re.Match[str]) -> tuple[str, list[str]]:
    """Rejoin the pieces; a provider rule that takes the whole of them names the kind."""
    joined = "".join(_SPLIT_JOIN.split(match.group()))
    if len(joined) < 16:
        return match.group(), []
    redacted, kinds = _scan(_PROVIDERS, joined)
    if len(kinds) != 1 or redacted != placeholder(kinds[0]):
        return match.group(), []
    return redacted, kinds


def _redact_base64(match: re.Match[str]) -> tuple[str, list[str]]:
    """A base64 blob whose decoded text holds a secret goes whole, named after the first secret inside."""
    decoded = _decoded_base64(match.group())
    if decoded is None:
        return match.group(), []
    _, kinds = _scan(_INNER_STEPS, decoded)
    return (placeholder(kinds[0]), kinds[:1]) if kinds else (match.group(), [])


def _redact_prose_password(match: re.Match[str]) -> tuple[str, list[str]]:
    """'my password is hunter2.' keeps the sentence's closing punctuation."""
    value = match.group("secret")
    secret = value if match.group("quoted") else value.rstrip(".,;:!?)")
    if not secret or not _is_prose_password(secret):
        return match.group(), []
    start = match.start("secret") - match.start()
    whole = match.group()
    return whole[:start] + placeholder("password") + whole[start + len(secret):], ["password"]


_B64 = r"[A-Za-z0-9+/_-]"

_PRIVATE_KEY = _Rule(re.compile(
    # PEM private keys, also with JSON-escaped "\n" line breaks and truncated ones without an END line
    # (then up to the last key-like character, leaving the whitespace after it); SSH2 and PuTTY key files.
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:\s*+(?:[A-Za-z0-9+/=\\,.:]|-(?!----))++)*+"
    r"(?:\s*+-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?"
    r"|---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----(?:\n(?!----)[^\n]*+)*+(?:\n---- END SSH2 ENCRYPTED PRIVATE KEY ----)?"
    r"|PuTTY-User-Key-File-[0-9]+:[^\n]*+(?:\n[A-Za-z-]++:[^\n]*+(?:\n[A-Za-z0-9+/=]++(?![^\n]))*+)*+"),
    _whole("private_key"), ("-----begin", "---- begin ssh2", "putty-user-key-file-"))
_BASE64_WRAPPED = _Rule(re.compile(
    # one line of 16+, or lines of 40+ wrapped (also with JSON-escaped "\n"), as base64 and `base64 -w 76` write
    rf"(?<![A-Za-z0-9+/_-])(?:(?:{_B64}{{40,}}+(?:\r?\n[ \t]*+|\\n))+{_B64}++|{_B64}{{16,}}+)={{0,2}}"
    r"(?![A-Za-z0-9+/=_-])"), _redact_base64)

_GENERIC_RULES: tuple[_Step, ...] = (
    # an AWS secret access key without its name, e.g. after its key id or in `aws configure` output
    _Rule(re.compile(r"(?<![A-Za-z0-9/+=_.\]-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])"),
          _whole("aws_secret_key", _is_aws_secret), tuple("0123456789")),
    _Rule(re.compile(r"(?<![A-Za-z0-9_\]])(?i:bearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/=-]{8,}+)"),
          _if("bearer_token", _is_token_value), ("bearer",)),
    _Rule(re.compile(r"(?<![A-Za-z0-9_\]])(?i:basic)[ \t]+(?P<secret>[A-Za-z0-9+/]{6,}+={0,2})(?![A-Za-z0-9+/=])"),
          _if("basic_auth", _is_basic_credential), ("basic",)),
    # scheme://user:password@host keeps scheme and host; user-only URLs (postgres://readonly@db) carry no secret.
    _Rule(re.compile(
        r"(?<![A-Za-z0-9+.\]-])[A-Za-z][A-Za-z0-9+.-]{0,30}://(?P<secret>[^\s:/?#@\[\]\"'<>]*:[^\s/?#@\"'<>]+)@"),
          _if("url_credentials", _is_url_password), ("://",)),
    _Detectors.of(BasicAuthDetector),  # what url_credentials left: none but fillers, which it drops too
    # curl -u user:password / --user=user:password (a user name, not `date -u +%Y...`)
    _Rule(re.compile(r"(?<![\w-])(?:-u|--user)(?:[ \t]++|=)(?=[\"']?[\w.@+-]++:)"
                     r"(?:\"(?P<dq>[^\"\n]*+)\"|'(?P<sq>[^'\n]*+)'|(?P<bare>[^\s\"']++))"),
          _if("basic_auth", _is_url_password, ("dq", "sq", "bare")), ("-u", "--user")),
    # password: | (or >-) followed by the indented lines of a YAML block scalar
    _Rule(re.compile(
        _KEY_START + r"(?P<key>" + _KEY_CHARS + "++)" + _ENDS_WITH_SECRET_KEY
        + r"[\"']?[ \t]*:[ \t]*[|>][0-9]?[+-]?[0-9]?[ \t]*+(?:#[^\n]*+)?\r?\n(?:[ \t]*+\r?\n)*+"
          r"(?P<indent>[ \t]++)(?P<secret>[^\n]*+(?:\n(?:[ \t]*+\n)*+(?P=indent)[^\n]*+)*+)", re.IGNORECASE),
          _if("password", lambda value: not _NOT_A_SECRET.search(value)), (":|", ": |", ":>", ": >")),
    # key = value: any literal for a secret-named key, a random-looking one for a key-like name. The key's
    # first key-like word is atomic: a later one in the same key leads to the same value.
    _Rule(re.compile(
        _KEY_START + r"(?P<key>(?>" + _KEY_CHARS + r"*?(?i:" + _KEY_LIKE + "))" + _KEY_CHARS + "*+)"
        + _ASSIGNED_VALUE), _value(_keyed_value, ("dq", "sq", "edq", "bare")),
          lines=compile_fixed("(?:" + _KEY_LIKE + r")" + _KEY_CHARS + r"*\\?[\"']?[ \t]*[:=]", re.IGNORECASE)),
    # prose: "my password is hunter2", "the password for the admin account was 'Tr0ub4dor&3'"
    _Rule(re.compile(
        r"(?<![A-Za-z0-9_\]])(?i:pass(?:word|phrase|code)|pwd)(?:[ \t]+(?i:for|to|of|on)[ \t][^\n]{1,40}?)?"
        r"[ \t]+(?i:is|was)(?:[ \t]+(?i:now|still|set to|changed to))?:?[ \t]+"
        r"(?P<quoted>[\"'`])?(?P<secret>(?(quoted)[^\"'`\n]{1,100}+|[^\s\"'`]++))"),
          _redact_prose_password, ("pass", "pwd")),
    # prose: a random-looking token right after a key-like word ("with secret 0f6Y...", "token: abc...")
    _Rule(re.compile(
        r"(?<![A-Za-z0-9_\]-])(?P<key>(?i:secret|token|key|password|passphrase|pwd|credential)s?)"
        r"(?:[ \t]+(?i:is|was)|[ \t]*[:=])?[ \t]+[\"'`]?(?P<secret>[A-Za-z0-9+/_=-]{12,}+)"),
          _value(lambda match: "secret" if _looks_random(match.group("secret"), hex_counts=bool(
              _HEX_SECRET_KEY.search(match.group("key")))) else None),
          ("secret", "token", "key", "pass", "pwd", "credential")),
    _KeywordDetector(),
    _HighEntropyStrings(Base64HighEntropyString()),
    # Not after "/": a user-only URL such as postgres://readonly@db.example.com names a login, not a mailbox; after
    # an escaped line break (JSON "\\n") but not inside it: "\\n@pytest.mark.parametrize" is code.
    _Rule(re.compile(
        r"(?:(?<=\\[nrt])|(?<![A-Za-z0-9._%+/\\\]-]))[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
        r"(?![A-Za-z0-9-])"), _whole("email", _is_contact_email), ("@",)),
    _Rule(re.compile(r"(?<![\w+\]])\+[0-9]{1,3}(?:[ .-]?(?:\([0-9]{1,4}\)|[0-9]{1,6}))+"),
          _redact_international_phone, ("+",)),
    # Runs of digit groups; _redact_national_phones decides which spans are phones (not years, dates, versions).
    _Rule(re.compile(
        r"(?<![\w.+/(\]-])(?:\([0-9]{2,5}\)[ .-]?|[0-9]{1,8}[ .-])[0-9]{1,8}(?:[ .-][0-9]{1,8})*(?![0-9A-Za-z_+])"),
          _redact_national_phones, tuple("0123456789")),
)

_SPLIT_KEY = _Rule(re.compile(_TOKEN_START + r"[A-Za-z0-9_.-]{3,}+(?:(?:" + _SPLIT_JOIN.pattern + r")[A-Za-z0-9_.-]++)++"),
                   _redact_split_key, ("\n",))

_STEPS: tuple[_Step, ...] = (_PRIVATE_KEY, _SPLIT_KEY, *_PROVIDERS, _BASE64_WRAPPED, *_GENERIC_RULES)
# What a base64 blob's decoded text is scanned with: everything but base64 itself, so decoding happens once.
_INNER_STEPS: tuple[_Step, ...] = tuple(step for step in _STEPS if step is not _BASE64_WRAPPED)
