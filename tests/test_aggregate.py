from reviewer.aggregate import ArtifactResult, median_level, portfolio
from reviewer.rubric import PortfolioRule


def r(level, conf, **dims):
    return ArtifactResult(level=level, confidence=conf, dimensions=dims)


def test_median_level_rounds_down_between_middles():
    assert median_level([1, 2, 3]) == 2
    assert median_level([2, 5]) == 2
    assert median_level([4]) == 4


def test_highest_confident_takes_the_best_confident_floor():
    rule = PortfolioRule(rule="highest_confident", min_confidence=0.5)
    est = portfolio([r(2, 0.8, framing=2), r(5, 0.3, system_design=5), r(4, 0.6, framing=3, verification=4)], rule)
    assert est.level == 4 and est.confidence == 0.6
    assert est.dimensions == {"framing": 3, "system_design": 5, "verification": 4}


def test_highest_confident_falls_back_to_median_when_nothing_is_confident():
    rule = PortfolioRule(rule="highest_confident", min_confidence=0.9)
    est = portfolio([r(1, 0.3), r(3, 0.4), r(5, 0.2)], rule)
    assert est.level == 3 and est.confidence == 0.4


def test_median_and_max_rules_and_median_dimensions():
    results = [r(1, 0.9, framing=1), r(2, 0.9, framing=2), r(6, 0.1, framing=6)]
    assert portfolio(results, PortfolioRule(rule="median")).level == 2
    assert portfolio(results, PortfolioRule(rule="max")).level == 6
    assert portfolio(results, PortfolioRule(rule="max", dimensions="median")).dimensions == {"framing": 2}


def test_empty_portfolio_has_no_level():
    est = portfolio([], PortfolioRule(rule="highest_confident"))
    assert est.level is None and est.confidence is None and est.dimensions == {}
