"""Redaction holds on realistic artifacts with planted secrets (tests/redaction/manifest.yaml): no secret and no
8-character piece of one survives, the evidence around them does, and a second pass changes nothing."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from reviewer.redact import RedactionResult, redact
from tests.redaction import Artifact, load_artifacts, load_corpus

ARTIFACTS = load_artifacts()


@cache
def redacted(artifact: Artifact) -> RedactionResult:
    return redact(artifact.text)


@pytest.mark.parametrize("artifact, secret", [(a, s) for a in ARTIFACTS for s in a.secrets],
                         ids=[f"{s.format}-{s.placement}-{a.file}" for a in ARTIFACTS for s in a.secrets])
def test_no_planted_secret_survives(artifact, secret):
    text = redacted(artifact).text
    assert secret.value not in text
    survivors = sorted(chunk for chunk in secret.chunks() if chunk in text)
    assert not survivors, f"{secret.format} ({secret.placement}) left pieces such as {survivors[:3]}"


@pytest.mark.parametrize("artifact", ARTIFACTS, ids=[a.file for a in ARTIFACTS])
def test_evidence_around_the_secrets_survives(artifact):
    text = redacted(artifact).text
    assert [kept for kept in artifact.keep if kept not in text] == []


@pytest.mark.parametrize("artifact", ARTIFACTS, ids=[a.file for a in ARTIFACTS])
def test_redaction_is_idempotent(artifact):
    once = redacted(artifact)
    twice = redact(once.text)
    assert twice.text == once.text and twice.counts == {}


def test_corpus_plants_every_required_format_and_placement():
    secrets = [secret for artifact in ARTIFACTS for secret in artifact.secrets]
    formats, placements = Counter(s.format for s in secrets), Counter(s.placement for s in secrets)
    assert len(secrets) >= 80
    # the formats that once survived redaction, each planted at least once
    assert {"aws_secret_key_bare", "slack_webhook", "yaml_block_scalar_password", "db_pass", "azure_account_key",
            "basic_auth_header", "curl_user_password", "huggingface_token", "gitlab_token", "sendgrid_key",
            "prose_password", "gcp_private_key_id", "password_with_ampersand"} <= set(formats)
    # several of each common provider format
    assert all(formats[f] >= 3 for f in ("openai_key", "anthropic_key", "aws_access_key", "github_token",
                                         "slack_token", "google_api_key", "stripe_key", "sendgrid_key",
                                         "gitlab_token", "huggingface_token"))
    assert {"quoted", "bare", "block_scalar", "comment", "split", "base64", "url"} <= set(placements)
    assert placements["split"] >= 3 and placements["base64"] >= 3


def test_load_corpus_pairs_each_text_with_its_secrets():
    corpus = load_corpus()
    assert len(corpus) == len(ARTIFACTS)
    assert all(isinstance(text, str) and secrets and all(isinstance(s, str) for s in secrets)
               for text, secrets in corpus)
