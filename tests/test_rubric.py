
import pytest
import yaml

from reviewer.rubric import DEFAULT_RUBRIC, RubricError, load_roles, load_rubric


def test_rubric_has_six_levels_six_dimensions_and_indicators_per_level(rubric):
    assert [lv.level for lv in rubric.levels] == [1, 2, 3, 4, 5, 6]
    assert [d.key for d in rubric.dimensions] == [
        "framing", "grounding", "verification", "workflow", "system_design", "responsible_use"]
    for level in range(2, 7):
        cores = [i for i in rubric.indicators if i.level == level and i.core]
        assert len(cores) >= rubric.level(level).min_core > 0
    assert all(lv.exemplar.strip() and lv.submit_next.strip() for lv in rubric.levels)
    assert all(i.practice.strip() for i in rubric.indicators)


def test_structural_checks_exist_for_tools_agents_workflows_and_evals(rubric):
    structural = {i.id for i in rubric.indicators if i.detect.structure}
    assert {"tool_definitions", "agent_definitions", "model_step_in_workflow", "eval_harness"} <= structural


def test_version_is_declared_version_plus_content_hash(tmp_path, rubric):
    assert rubric.version_label.startswith(rubric.version + "+")
    copy = tmp_path / "r.yaml"
    copy.write_text(DEFAULT_RUBRIC.read_text() + "\n# a comment changes the hash\n")
    other = load_rubric(copy)
    assert other.version == rubric.version and other.content_hash != rubric.content_hash


def _broken(tmp_path, mutate) -> str:
    data = yaml.safe_load(DEFAULT_RUBRIC.read_text())
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RubricError) as e:
        load_rubric(path)
    return str(e.value)


def test_invalid_regex_names_file_indicator_and_reason(tmp_path):
    def bad_regex(d):
        d["indicators"][3]["detect"]["patterns"][0] = "(unclosed"
    msg = _broken(tmp_path, bad_regex)
    assert "broken.yaml" in msg and "(id context_given)" in msg and "invalid regular expression" in msg


@pytest.mark.parametrize("pattern, construct", [
    (r"\byou are a (?!genius)", "a lookahead"),
    (r"(?<!not )\bcite\b", "a lookbehind"),
    (r"\b(\w+) \1\b", "a backreference"),
])
def test_pattern_that_backtracks_is_refused_with_file_location_and_reason(tmp_path, pattern, construct):
    def backtracking(d):
        d["indicators"][3]["detect"]["patterns"][0] = pattern
    msg = _broken(tmp_path, backtracking)
    assert msg.startswith(f"{tmp_path / 'broken.yaml'}: indicators[3] (id context_given) -> detect -> patterns: ")
    assert f"uses {construct}, which the linear-time engine (RE2) cannot run; rewrite it without" in msg


def test_structure_follow_up_and_injection_patterns_must_run_on_re2_too(tmp_path):
    def key(d):
        d["indicators"][0]["detect"]["structure"] = [{"key": r"(a)\1"}]
    assert r"detect -> structure[0]: '(a)\\1' uses a backreference" in _broken(tmp_path, key)

    def follow_up(d):
        d["indicators"][0]["detect"]["followup_patterns"] = ["(?<!not )wrong"]
    assert "(id role_or_audience) -> detect -> followup_patterns: '(?<!not )wrong' uses a lookbehind" in _broken(
        tmp_path, follow_up)

    def injection(d):
        d["injection"]["patterns"].append("ignore(?=.*rubric)")
    assert "injection -> patterns: 'ignore(?=.*rubric)' uses a lookahead" in _broken(tmp_path, injection)


def test_unknown_dimension_and_missing_level_are_refused(tmp_path):
    def bad_dim(d):
        d["indicators"][0]["dimension"] = "vibes"
    assert "unknown dimension 'vibes'" in _broken(tmp_path, bad_dim)

    def drop_level(d):
        d["levels"].pop()
    assert "levels must be exactly 1 to 6" in _broken(tmp_path, drop_level)

    def missing_field(d):
        del d["indicators"][0]["label"]
    msg = _broken(tmp_path, missing_field)
    assert "indicators[0] (id role_or_audience) -> label" in msg and "Field required" in msg


def test_not_yaml_names_the_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("id: x\nlevels: [\n")
    with pytest.raises(RubricError, match=r"r\.yaml: line \d+"):
        load_rubric(path)


def test_roles_have_spec_defaults(roles):
    targets = {k: r.target for k, r in roles.roles.items()}
    assert targets == {"individual_contributor": 3, "people_manager": 3, "director": 3, "analyst": 4,
                       "operations_specialist": 4, "software_engineer": 5, "ai_platform_engineer": 6}
    with pytest.raises(RubricError, match="unknown role 'wizard'; known roles: individual_contributor"):
        roles.require("wizard")
    assert roles.require(None) is None


def test_roles_file_with_out_of_range_target(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text("version: '1'\nroles:\n  x: {name: X, target: 9, why: no}\n")
    with pytest.raises(RubricError, match=r"roles -> x -> target.*less than or equal to 6"):
        load_roles(path)
