"""Threshold rules of validation checks: plain comparisons and MLflow's MetricThreshold semantics.

Pure functions, no database: each returns an Outcome the check records as-is.
"""
import math
import operator
from dataclasses import dataclass

from models_app.exceptions import InvalidParameter

COMPARATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
# MLflow's fallback when the baseline is zero: "better than the baseline" by at least this much.
ZERO_BASELINE_EPSILON = 1e-10
# Where a policy's threshold applies: the source run's logged metrics, the scores on validation datasets, or both.
APPLIES_TO = ("run", "datasets", "both")


@dataclass(frozen=True)
class Outcome:
    passed: bool
    observed: str
    expected: str
    message: str


def format_number(value: float | None) -> str:
    return "missing" if value is None else f"{value:.6g}"


def threshold_outcome(*, metric: str, observed: float | None, op: str, value: float, source: str) -> Outcome:
    """`observed <op> value`, e.g. accuracy >= 0.95; a missing metric fails."""
    expected = f"{op} {format_number(value)}"
    if observed is None:
        return Outcome(False, "missing", expected, f"{source} has no metric '{metric}'.")
    if math.isnan(observed):
        return Outcome(False, "NaN", expected, f"{metric} of {source} is NaN.")
    passed = COMPARATORS[op](observed, value)
    verdict = "meets" if passed else "does not meet"
    return Outcome(passed, format_number(observed), expected,
                   f"{metric} = {format_number(observed)} {verdict} {metric} {expected} ({source}).")


def champion_outcome(*, metric: str, candidate: float | None, baseline: float | None, rule: dict,
                     champion_label: str) -> Outcome:
    """MLflow MetricThreshold: threshold, min_absolute_change, min_relative_change, greater_is_better.

    Relative change is measured against |baseline|, so a negative baseline (an R2 below zero) keeps the
    comparison pointing the right way; a zero baseline falls back to "strictly better than the baseline".
    A metric missing on the candidate, or on the champion when a change is required, fails.
    """
    better = rule["greater_is_better"]
    compare = operator.ge if better else operator.le
    shift = operator.add if better else operator.sub
    direction = "higher" if better else "lower"
    requirements, failures = [], []
    if candidate is None or math.isnan(candidate):
        return Outcome(False, "missing", champion_rule_describe(rule, baseline),
                       f"The candidate has no metric '{metric}'.")
    threshold = rule.get("threshold")
    if threshold is not None:
        requirements.append(f"{'>=' if better else '<='} {format_number(threshold)}")
        if not compare(candidate, threshold):
            failures.append(f"{metric} = {format_number(candidate)} is not {requirements[-1]}")
    absolute, relative = rule.get("min_absolute_change"), rule.get("min_relative_change")
    if absolute is not None or relative is not None:
        if baseline is None or math.isnan(baseline):
            return Outcome(False, format_number(candidate), champion_rule_describe(rule, baseline),
                           f"The champion ({champion_label}) has no metric '{metric}' to compare with.")
        if absolute is not None:
            bound = shift(baseline, absolute)
            requirements.append(f"{'>=' if better else '<='} {format_number(bound)} (champion "
                                f"{format_number(baseline)} {'+' if better else '-'} {format_number(absolute)})")
            if not compare(candidate, bound):
                failures.append(f"{metric} = {format_number(candidate)} is not at least {format_number(absolute)} "
                                f"{direction} than the champion's {format_number(baseline)}")
        if relative is not None:
            if baseline == 0:
                bound = shift(baseline, ZERO_BASELINE_EPSILON)
                requirements.append(f"{direction} than the champion's 0 (relative change undefined at 0)")
                ok = compare(candidate, bound)
            else:
                change = (candidate - baseline) / abs(baseline)
                change = change if better else -change
                bound = shift(baseline, abs(baseline) * relative)
                requirements.append(f"{'>=' if better else '<='} {format_number(bound)} (champion "
                                    f"{format_number(baseline)} {'+' if better else '-'} {relative:.2%})")
                ok = change >= relative
            if not ok:
                failures.append(f"{metric} = {format_number(candidate)} is not {requirements[-1]}")
    passed = not failures
    message = (f"{metric} = {format_number(candidate)} against the champion ({champion_label}, "
               f"{format_number(baseline)}): " + ("meets every requirement." if passed else "; ".join(failures) + "."))
    return Outcome(passed, format_number(candidate), "; ".join(requirements), message)


def champion_rule_describe(rule: dict, baseline: float | None) -> str:
    parts = []
    if rule.get("threshold") is not None:
        parts.append(f"{'>=' if rule['greater_is_better'] else '<='} {format_number(rule['threshold'])}")
    if rule.get("min_absolute_change") is not None:
        parts.append(f"change >= {format_number(rule['min_absolute_change'])} vs champion")
    if rule.get("min_relative_change") is not None:
        parts.append(f"relative change >= {rule['min_relative_change']:.2%} vs champion")
    return "; ".join(parts)


def metric_thresholds_clean(value) -> list[dict]:
    """Validate a policy's metric_thresholds: [{"metric": "accuracy", "op": ">=", "value": 0.95}, ...]."""
    cleaned = []
    for index, entry in enumerate(_entries(value, "metric_thresholds")):
        where = f"metric_thresholds[{index}]"
        _keys_check(entry, where, required={"metric", "op", "value"}, optional={"on"})
        op = entry["op"]
        if op not in COMPARATORS:
            raise InvalidParameter(f"{where}.op must be one of {', '.join(COMPARATORS)}, got {op!r}.")
        cleaned.append({"metric": _metric_name(entry["metric"], where), "op": op,
                        "value": _number(entry["value"], f"{where}.value"), "on": _applies_to(entry, where)})
    return cleaned


def champion_thresholds_clean(value) -> list[dict]:
    """Validate MetricThreshold entries, with MLflow's own constraints on each field."""
    cleaned = []
    for index, entry in enumerate(_entries(value, "champion_thresholds")):
        where = f"champion_thresholds[{index}]"
        _keys_check(entry, where, required={"metric", "greater_is_better"},
                    optional={"threshold", "min_absolute_change", "min_relative_change", "on"})
        if not isinstance(entry["greater_is_better"], bool):
            raise InvalidParameter(f"{where}.greater_is_better must be true or false.")
        rule = {"metric": _metric_name(entry["metric"], where), "greater_is_better": entry["greater_is_better"],
                "on": _applies_to(entry, where)}
        for key in ("threshold", "min_absolute_change", "min_relative_change"):
            if entry.get(key) is not None:
                rule[key] = _number(entry[key], f"{where}.{key}")
        if "min_absolute_change" in rule and rule["min_absolute_change"] <= 0:
            raise InvalidParameter(f"{where}.min_absolute_change must be a positive number.")
        if "min_relative_change" in rule and not 0 <= rule["min_relative_change"] <= 1:
            raise InvalidParameter(f"{where}.min_relative_change must be between 0 and 1.")
        if len(rule) == 3:
            raise InvalidParameter(
                f"{where} sets no requirement: give threshold, min_absolute_change or min_relative_change.")
        cleaned.append(rule)
    return cleaned


def applies_to(rule: dict, source: str) -> bool:
    """Whether `rule` checks `source` ("run" or "datasets"); entries saved before "on" existed check both."""
    return rule.get("on", "both") in (source, "both")


def _applies_to(entry: dict, where: str) -> str:
    value = entry.get("on", "both")
    if value not in APPLIES_TO:
        raise InvalidParameter(f"{where}.on must be one of {', '.join(APPLIES_TO)}, got {value!r}.")
    return value


def _entries(value, field: str) -> list[dict]:
    if not isinstance(value, list | tuple):
        raise InvalidParameter(f"Parameter '{field}' must be a list, got {type(value).__name__}.")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise InvalidParameter(f"{field}[{index}] must be an object, got {type(entry).__name__}.")
    return list(value)


def _keys_check(entry: dict, where: str, *, required: set, optional: set) -> None:
    missing = sorted(required - set(entry))
    if missing:
        raise InvalidParameter(f"{where} lacks {', '.join(missing)}.")
    unknown = sorted(set(entry) - required - optional)
    if unknown:
        raise InvalidParameter(f"{where} has unknown key(s) {', '.join(unknown)}; "
                               f"known: {', '.join(sorted(required | optional))}.")


def _metric_name(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(f"{where}.metric must be a metric name.")
    return value.strip()


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameter(f"{where} must be a finite number, got {value!r}.")
    return float(value)
