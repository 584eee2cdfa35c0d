"""What redaction takes out of real artifacts, for a person to judge false positives.

    python -m reviewer.evaluation.redaction evals/golden evals/real/dev evals/real/test

prints how many artifacts had anything redacted, the count per kind, and every redaction with the original
value and the text around it. The eval artifacts hold no planted secrets, so each redaction is either a real
secret or contact detail that was already in them, or a false positive.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from reviewer.evaluation.cases import load_cases
from reviewer.intake import decode_text
from reviewer.redact import redact

_PLACEHOLDER = re.compile(r"\[REDACTED:(\w+)\]")
_CONTEXT = 60


class Redaction(BaseModel):
    case: str
    kind: str
    value: str  # the original text the placeholder stands for
    context: str  # the redacted text around the placeholder


def redactions_in(case: str, original: str, redacted: str) -> list[Redaction]:
    """Each placeholder in `redacted` with the original text it replaced: the text between placeholders is
    the original's, in order, so each value lies between where one piece ends and the next begins."""
    found, pos, kept_to = [], 0, 0
    placeholders = list(_PLACEHOLDER.finditer(redacted))
    for i, match in enumerate(placeholders):
        pos += match.start() - kept_to  # past the unchanged text before this placeholder
        following_end = placeholders[i + 1].start() if i + 1 < len(placeholders) else len(redacted)
        following = redacted[match.end():following_end]
        value_end = original.find(following, pos) if following else (
            len(original) if i + 1 == len(placeholders) else pos)
        value_end = len(original) if value_end < 0 else value_end
        value = original[pos:value_end]
        if value != match.group():  # not a placeholder the artifact already held
            context = redacted[max(0, match.start() - _CONTEXT):match.end() + _CONTEXT]
            found.append(Redaction(case=case, kind=match.group(1), value=value, context=context))
        pos, kept_to = value_end, match.end()
    return found


def redaction_report(*folders: Path | str) -> tuple[int, list[Redaction]]:
    """(number of artifacts, every redaction made in them) for the eval cases under `folders`."""
    cases = load_cases(*folders)
    found: list[Redaction] = []
    for loaded in cases:
        text = decode_text(loaded.data, max_bytes=10**8)
        found += redactions_in(loaded.id, text, redact(text).text)
    return len(cases), found


def main(folders: list[str]) -> None:
    total, found = redaction_report(*folders)
    print(f"artifacts with a redaction: {len({r.case for r in found})} / {total}; redactions: {len(found)}")
    for kind, n in Counter(r.kind for r in found).most_common():
        print(f"  {kind}: {n}")
    for r in sorted(found, key=lambda r: (r.kind, r.case)):
        print(f"\n{r.kind} | {r.case} | {r.value!r}\n    {r.context!r}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["evals/golden", "evals/real/dev", "evals/real/test"])
