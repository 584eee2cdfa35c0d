"""Every sample artifact (tests/samples/manifest.yaml) gets the level and type a coach gave it."""

from pathlib import Path

import pytest
import yaml

from reviewer.pipeline import assess

SAMPLES = Path(__file__).parent / "samples"
MANIFEST = yaml.safe_load((SAMPLES / "manifest.yaml").read_text())


def test_samples_cover_every_level_and_type():
    assert len(MANIFEST) >= 24
    assert {s["level"] for s in MANIFEST} == {1, 2, 3, 4, 5, 6}
    assert {s["type"] for s in MANIFEST} == {"prompt", "transcript", "custom_instructions", "workflow",
                                             "agent_config", "code", "eval_config", "output_with_edits", "other"}


@pytest.mark.parametrize("sample", MANIFEST, ids=[s["file"] for s in MANIFEST])
def test_sample_level_and_type(sample, ctx):
    a = assess((SAMPLES / sample["file"]).read_bytes(), None, None, ctx)
    assert (a.judgement.level, a.artifact.artifact_type) == (sample["level"], sample["type"]), a.judgement.rationale
