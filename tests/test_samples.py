"""Every sample artifact (tests/samples/manifest.yaml) gets the level and type a coach gave it."""

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from reviewer.pipeline import assess
from reviewer.rubric import DEFAULT_RUBRIC, load_rubric

SAMPLES = Path(__file__).parent / "samples"
MANIFEST = yaml.safe_load((SAMPLES / "manifest.yaml").read_text())


def test_samples_cover_every_level_and_type():
    assert len(MANIFEST) >= 24
    assert {s["level"] for s in MANIFEST} == {1, 2, 3, 4, 5, 6}
    assert {s["type"] for s in MANIFEST} == {"prompt", "transcript", "custom_instructions", "workflow",
                                             "agent_config", "code", "eval_config", "output_with_edits", "other"}


@pytest.fixture(scope="module")
def hand_rule(rubric):
    return load_rubric(DEFAULT_RUBRIC, fitted_level=False)


@pytest.mark.parametrize("sample", MANIFEST, ids=[s["file"] for s in MANIFEST])
def test_sample_level_and_type(sample, ctx, hand_rule):
    """The hand rule (the fallback of a rubric without a fit) places every sample exactly; the
    fitted level model, fitted on real work, within one level."""
    data = (SAMPLES / sample["file"]).read_bytes()
    a = assess(data, None, None, replace(ctx, rubric=hand_rule))
    assert (a.judgement.level, a.artifact.artifact_type) == (sample["level"], sample["type"]), a.judgement.rationale
    fitted = assess(data, None, None, ctx).judgement
    assert abs(fitted.level - sample["level"]) <= 1, fitted.rationale
