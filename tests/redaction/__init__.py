"""A corpus of realistic artifacts with planted fake secrets, for any test that checks redaction holds.

manifest.yaml lists, for each artifact file here, every planted secret (its value, format and placement) and
text that is evidence and must survive redaction. All values are random and of the right shape; none is live.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CORPUS = Path(__file__).parent
CHUNK = 8


@dataclass(frozen=True)
class Secret:
    value: str
    format: str
    placement: str  # quoted, bare, block_scalar, comment, split, base64, url, prose, header, ...

    def chunks(self) -> set[str]:
        """Every 8-character piece of the value. A secret split across lines or wrapped in base64 appears only
        in pieces, and a partial redaction leaves pieces: none may survive."""
        size = min(CHUNK, len(self.value))
        return {self.value[i:i + size] for i in range(len(self.value) - size + 1)}


@dataclass(frozen=True)
class Artifact:
    file: str  # relative to CORPUS
    text: str
    secrets: tuple[Secret, ...]
    keep: tuple[str, ...]  # evidence that must survive redaction


@cache
def load_artifacts() -> tuple[Artifact, ...]:
    manifest = yaml.safe_load((CORPUS / "manifest.yaml").read_text())
    return tuple(Artifact(file=entry["file"], text=(CORPUS / entry["file"]).read_text(),
                          secrets=tuple(Secret(**secret) for secret in entry["secrets"]),
                          keep=tuple(entry.get("keep", ())))
                 for entry in manifest["artifacts"])


def load_corpus() -> list[tuple[str, list[str]]]:
    """(artifact text, the planted secret values in it) for every artifact."""
    return [(artifact.text, [secret.value for secret in artifact.secrets]) for artifact in load_artifacts()]
