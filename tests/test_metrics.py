"""Metrics against hand-computed values, and QWK against scikit-learn."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from reviewer.evaluation import metrics as m

EXPECTED = [1, 2, 3, 4, 5, 6]
GOT = [1, 2, 4, 4, 3, 6]


def test_agreement_mae_and_recall_by_hand():
    assert m.exact_agreement(EXPECTED, GOT) == 4 / 6
    assert m.adjacent_agreement(EXPECTED, GOT) == 5 / 6  # 5 -> 3 is two levels off
    assert m.mean_absolute_error(EXPECTED, GOT) == 3 / 6
    assert m.per_level_recall([2, 2, 3], [2, 1, 3]) == {1: None, 2: 0.5, 3: 1.0, 4: None, 5: None, 6: None}


def test_confusion_rows_are_expected():
    c = m.confusion_matrix([1, 1, 2], [1, 3, 2])
    assert c[0] == [1, 0, 1, 0, 0, 0] and c[1] == [0, 1, 0, 0, 0, 0] and sum(map(sum, c)) == 3


def test_qwk_by_hand_on_two_levels():
    # expected [1,1,2,2], got [1,2,2,2]: O = [[1,1],[0,2]] on levels 1..2 (k=2, w_01 = 1)
    # E = rows (2,2) x cols (1,3) / 4 = [[0.5,1.5],[0.5,1.5]]; kappa = 1 - 1/(1.5+0.5) = 0.5
    assert m.quadratic_weighted_kappa([1, 1, 2, 2], [1, 2, 2, 2], levels=(1, 2)) == pytest.approx(0.5)


def test_qwk_edges():
    assert m.quadratic_weighted_kappa([], []) is None
    assert m.quadratic_weighted_kappa([3, 3], [3, 3]) == 1.0
    assert m.quadratic_weighted_kappa(EXPECTED, EXPECTED) == 1.0
    assert m.quadratic_weighted_kappa([1, 6, 1, 6], [6, 1, 6, 1]) < 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), min_size=2, max_size=60))
def test_qwk_matches_scikit_learn(pairs):
    expected, got = [p[0] for p in pairs], [p[1] for p in pairs]
    ours = m.quadratic_weighted_kappa(expected, got)
    if len(set(expected) | set(got)) == 1:
        assert ours == 1.0  # scikit-learn returns nan here
        return
    ref = cohen_kappa_score(expected, got, weights="quadratic", labels=list(m.LEVELS))
    assert ours == pytest.approx(ref, abs=1e-9)


def test_smd_by_hand():
    # human [1,3] mean 2 var 1; auto [2,4] mean 3 var 1; pooled sd 1 -> SMD 1.0
    assert m.standardized_mean_difference([1, 3], [2, 4]) == pytest.approx(1.0)
    assert m.standardized_mean_difference([2, 2], [2, 2]) == 0.0
    assert m.standardized_mean_difference([2, 2], [3, 3]) == math.inf
    assert m.standardized_mean_difference([], []) is None


def test_consistency():
    assert m.consistency([[1, 1, 1], [2, 3, 2], [4, 4, 4], [5, 5, 5]]) == 0.75
    assert m.consistency([]) is None


def test_lengths_must_match():
    with pytest.raises(ValueError, match="differ in length"):
        m.exact_agreement([1, 2], [1])


def test_bootstrap_intervals_hold_the_estimate_narrow_with_more_cases_and_repeat():
    expected = [1, 2, 3, 4, 5, 6, 3, 4] * 3
    got = [1, 2, 3, 4, 5, 5, 4, 4] * 3
    small = m.bootstrap_interval(expected, got, m.quadratic_weighted_kappa)
    big = m.bootstrap_interval(expected * 10, got * 10, m.quadratic_weighted_kappa)
    qwk = m.quadratic_weighted_kappa(expected, got)
    assert small[0] <= qwk <= small[1] and big[0] <= qwk <= big[1]
    assert big[1] - big[0] < small[1] - small[0]  # more cases, a narrower interval
    assert m.bootstrap_interval(expected, got, m.quadratic_weighted_kappa) == small  # seeded
    low, high = m.bootstrap_interval(expected, got, m.exact_agreement)
    assert 0 <= low <= 0.75 <= high <= 1
    assert m.bootstrap_interval(expected, expected, m.exact_agreement) == (1.0, 1.0)
    assert m.bootstrap_interval([3], [3], m.exact_agreement) is None


def test_calibration_error_and_reliability_bins_by_hand():
    confidences, correct = [0.9, 0.9, 0.2, 0.6], [True, False, False, True]
    assert m.expected_calibration_error(confidences, correct) == pytest.approx(0.35)  # .4*2/4 + .2/4 + .4/4
    bins = m.reliability_bins(confidences, correct)
    assert [b["n"] for b in bins] == [0, 0, 1, 0, 0, 0, 1, 0, 0, 2] and bins[9]["accuracy"] == 0.5
    assert m.expected_calibration_error([1.0, 0.0], [True, False]) == 0.0  # perfectly calibrated
    assert m.expected_calibration_error([], []) is None


def test_routing_counts_what_reaches_a_coach():
    r = m.routing([1, 2, 3, 4], [1, 4, 3, 5], [False, True, True, False])
    assert r == {"n": 4, "flagged": 0.5, "wrong": 2, "wrong_flagged": 0.5, "off_by_2": 1, "off_by_2_flagged": 1.0}
    assert m.routing([2], [2], [False])["wrong_flagged"] is None
