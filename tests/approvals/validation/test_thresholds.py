"""MetricThreshold semantics and plain thresholds: pure functions, no database."""
import pytest

from approvals.validation.checks import checks_plan
from approvals.validation.thresholds import (
    champion_outcome,
    champion_thresholds_clean,
    metric_thresholds_clean,
    threshold_outcome,
)
from models_app.exceptions import InvalidParameter


def compare(candidate, baseline, **rule):
    return champion_outcome(metric="m", candidate=candidate, baseline=baseline, rule=rule, champion_label="version 1")


@pytest.mark.parametrize(("observed", "op", "value", "passed"), [
    (0.96, ">=", 0.95, True), (0.95, ">=", 0.95, True), (0.94, ">=", 0.95, False),
    (11.0, "<=", 12, True), (12.5, "<=", 12, False), (0.5, "<", 0.5, False), (1.0, "==", 1.0, True),
])
def test_plain_thresholds(observed, op, value, passed):
    outcome = threshold_outcome(metric="accuracy", observed=observed, op=op, value=value, source="the source run")
    assert outcome.passed is passed
    assert outcome.expected == f"{op} {value:.6g}"


def test_a_missing_metric_fails_a_threshold_and_says_which():
    outcome = threshold_outcome(metric="accuracy", observed=None, op=">=", value=0.9, source="the source run")
    assert not outcome.passed
    assert outcome.message == "the source run has no metric 'accuracy'."


def test_absolute_change_greater_is_better():
    assert compare(0.96, 0.90, greater_is_better=True, min_absolute_change=0.05).passed
    failed = compare(0.93, 0.90, greater_is_better=True, min_absolute_change=0.05)
    assert not failed.passed
    assert "not at least 0.05 higher than the champion's 0.9" in failed.message


def test_absolute_change_lower_is_better():
    assert compare(9.0, 10.0, greater_is_better=False, min_absolute_change=0.5).passed
    assert not compare(9.8, 10.0, greater_is_better=False, min_absolute_change=0.5).passed


def test_relative_change_with_a_negative_baseline_keeps_its_direction():
    # R2 of -0.5 improving to -0.2 is a 60% improvement relative to |baseline|, not a decline.
    assert compare(-0.2, -0.5, greater_is_better=True, min_relative_change=0.5).passed
    assert not compare(-0.6, -0.5, greater_is_better=True, min_relative_change=0.1).passed
    # lower is better with a negative baseline: -12 is 20% lower than -10
    assert compare(-12.0, -10.0, greater_is_better=False, min_relative_change=0.2).passed
    assert not compare(-9.0, -10.0, greater_is_better=False, min_relative_change=0.05).passed


def test_relative_change_states_the_bound_it_implies():
    # -0.5 + 50% of |-0.5| = -0.25: the expected value reads as a number, like the absolute change's.
    assert compare(-0.2, -0.5, greater_is_better=True, min_relative_change=0.5).expected == \
        ">= -0.25 (champion -0.5 + 50.00%)"
    assert compare(9.0, 10.0, greater_is_better=False, min_relative_change=0.1).expected == \
        "<= 9 (champion 10 - 10.00%)"


def test_relative_change_with_a_zero_baseline_asks_for_strictly_better():
    assert compare(0.001, 0.0, greater_is_better=True, min_relative_change=0.5).passed
    zero = compare(0.0, 0.0, greater_is_better=True, min_relative_change=0.5)
    assert not zero.passed
    assert "relative change undefined at 0" in zero.expected
    assert compare(-0.001, 0.0, greater_is_better=False, min_relative_change=0.5).passed


def test_missing_metrics_fail_on_either_side():
    missing_candidate = compare(None, 0.9, greater_is_better=True, min_absolute_change=0.01)
    assert not missing_candidate.passed
    assert missing_candidate.message == "The candidate has no metric 'm'."
    missing_champion = compare(0.9, None, greater_is_better=True, min_absolute_change=0.01)
    assert not missing_champion.passed
    assert missing_champion.message == "The champion (version 1) has no metric 'm' to compare with."


def test_threshold_and_changes_are_all_required():
    outcome = compare(0.91, 0.80, greater_is_better=True, threshold=0.95, min_absolute_change=0.05)
    assert not outcome.passed
    assert "m = 0.91 is not >= 0.95" in outcome.message
    assert ">= 0.85 (champion 0.8 + 0.05)" in outcome.expected


def test_policy_threshold_entries_are_validated_with_clear_messages():
    assert metric_thresholds_clean([{"metric": " accuracy ", "op": ">=", "value": 1}]) == [
        {"metric": "accuracy", "op": ">=", "value": 1.0, "on": "both"}]
    with pytest.raises(InvalidParameter, match=r"metric_thresholds\[0\].op must be one of"):
        metric_thresholds_clean([{"metric": "accuracy", "op": "=>", "value": 1}])
    with pytest.raises(InvalidParameter, match=r"metric_thresholds\[0\] lacks value"):
        metric_thresholds_clean([{"metric": "accuracy", "op": ">="}])
    with pytest.raises(InvalidParameter, match=r"champion_thresholds\[0\].min_relative_change must be between 0 and 1"):
        champion_thresholds_clean([{"metric": "f1", "greater_is_better": True, "min_relative_change": 2}])
    with pytest.raises(InvalidParameter, match=r"champion_thresholds\[0\].min_absolute_change must be a positive"):
        champion_thresholds_clean([{"metric": "f1", "greater_is_better": True, "min_absolute_change": -1}])
    with pytest.raises(InvalidParameter, match=r"champion_thresholds\[0\] sets no requirement"):
        champion_thresholds_clean([{"metric": "f1", "greater_is_better": True}])
    with pytest.raises(InvalidParameter, match=r"champion_thresholds\[0\] has unknown key\(s\) lower"):
        champion_thresholds_clean([{"metric": "f1", "greater_is_better": True, "lower": 1}])


def test_the_plan_puts_each_threshold_where_it_applies():
    config = {
        "metric_thresholds": metric_thresholds_clean([
            {"metric": "test_accuracy", "op": ">=", "value": 0.9, "on": "run"},
            {"metric": "accuracy", "op": ">=", "value": 0.9, "on": "datasets"},
            {"metric": "f1", "op": ">=", "value": 0.8},
        ]),
        "champion_thresholds": champion_thresholds_clean([
            {"metric": "accuracy", "greater_is_better": True, "min_relative_change": 0.0, "on": "datasets"}]),
        "validation_datasets": [{"id": 1, "name": "holdout", "task_type": "classification", "target_column": "y",
                                 "file_format": "csv"}],
    }
    assert [check.name for check in checks_plan(config)] == [
        "Artifact integrity", "Run metric test_accuracy >= 0.9", "Run metric f1 >= 0.8", "Load and score on holdout",
        "holdout: accuracy >= 0.9", "holdout: f1 >= 0.8", "holdout: accuracy against champion"]
    with pytest.raises(InvalidParameter, match=r"metric_thresholds\[0\].on must be one of run, datasets, both"):
        metric_thresholds_clean([{"metric": "f1", "op": ">=", "value": 0.8, "on": "scores"}])
