"""The checks of a validation run: planning them from a policy's config, and executing each one.

Planning happens when the run is created (every check is a PENDING row, so progress is known); execution
happens in the worker, one check at a time, through `execute_check`.
"""
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from models_app.models import LatestMetric, ModelVersion
from models_app.services.artifacts import (
    artifact_open,
    artifact_uri_to_path,
    artifact_walk,
    artifacts_content_hash,
)

from ..choices import CheckKind, CheckStatus
from ..datasets_storage import dataset_storage
from ..models import ValidationDataset
from .sandbox import ScoreOutcome, metrics_for_task, score_in_sandbox
from .thresholds import Outcome, applies_to, champion_outcome, format_number, threshold_outcome

HASH_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PlannedCheck:
    kind: str
    name: str
    spec: dict


def checks_plan(config: dict) -> list[PlannedCheck]:
    """Every check a run with this config executes, in order."""
    planned = [PlannedCheck(CheckKind.ARTIFACT_INTEGRITY, "Artifact integrity", {})]
    run_thresholds = [rule for rule in config.get("metric_thresholds", []) if applies_to(rule, "run")]
    run_comparisons = [rule for rule in config.get("champion_thresholds", []) if applies_to(rule, "run")]
    score_thresholds = [rule for rule in config.get("metric_thresholds", []) if applies_to(rule, "datasets")]
    score_comparisons = [rule for rule in config.get("champion_thresholds", []) if applies_to(rule, "datasets")]
    for rule in run_thresholds:
        planned.append(PlannedCheck(CheckKind.METRIC_THRESHOLD,
                                    f"Run metric {rule['metric']} {rule['op']} {format_number(rule['value'])}",
                                    {"rule": rule}))
    for rule in run_comparisons:
        planned.append(PlannedCheck(CheckKind.CHAMPION_COMPARISON, f"Run metric {rule['metric']} against champion",
                                    {"rule": rule}))
    for dataset in config.get("validation_datasets", []):
        scored = metrics_for_task(dataset["task_type"])
        planned.append(PlannedCheck(CheckKind.LOAD_AND_SCORE, f"Load and score on {dataset['name']}",
                                    {"dataset": dataset}))
        for rule in score_thresholds:
            if rule["metric"] in scored:
                planned.append(PlannedCheck(
                    CheckKind.SCORE_THRESHOLD,
                    f"{dataset['name']}: {rule['metric']} {rule['op']} {format_number(rule['value'])}",
                    {"dataset": dataset, "rule": rule}))
        for rule in score_comparisons:
            if rule["metric"] in scored:
                planned.append(PlannedCheck(CheckKind.SCORE_CHAMPION_COMPARISON,
                                            f"{dataset['name']}: {rule['metric']} against champion",
                                            {"dataset": dataset, "rule": rule}))
    return planned


@dataclass(frozen=True)
class CheckResult:
    status: str
    observed: str = ""
    expected: str = ""
    message: str = ""
    # Evidence beyond the figures: how the model was confined when it was scored, the dataset's verified hash.
    details: dict = field(default_factory=dict)

    @classmethod
    def of(cls, outcome: Outcome, details: dict | None = None) -> "CheckResult":
        status = CheckStatus.PASSED if outcome.passed else CheckStatus.FAILED
        return cls(status, outcome.observed, outcome.expected, outcome.message, details or {})


@dataclass
class CheckContext:
    """What the checks of one run share: the candidate, the champion, and files and scores made once."""

    candidate: ModelVersion
    champion: ModelVersion | None
    expected_hash: str
    workdir: Path
    _model_dirs: dict = field(default_factory=dict)
    _dataset_files: dict = field(default_factory=dict)
    _scores: dict = field(default_factory=dict)

    @property
    def champion_label(self) -> str:
        return f"version {self.champion.version}" if self.champion else "none"

    def model_dir(self, version: ModelVersion) -> Path:
        if version.pk not in self._model_dirs:
            self._model_dirs[version.pk] = _materialize_version(version, self.workdir / f"model-{version.pk}")
        return self._model_dirs[version.pk]

    def dataset_file(self, dataset: dict) -> Path:
        if dataset["id"] not in self._dataset_files:
            self._dataset_files[dataset["id"]] = _materialize_dataset(dataset, self.workdir)
        return self._dataset_files[dataset["id"]]

    def score(self, version: ModelVersion, dataset: dict) -> ScoreOutcome:
        key = (version.pk, dataset["id"])
        if key not in self._scores:
            self._scores[key] = _score(self, version, dataset)
        return self._scores[key]


def context_open(*, candidate: ModelVersion, champion: ModelVersion | None, expected_hash: str) -> CheckContext:
    workdir = Path(tempfile.mkdtemp(prefix="validation-"))
    return CheckContext(candidate=candidate, champion=champion, expected_hash=expected_hash, workdir=workdir)


def context_close(context: CheckContext) -> None:
    shutil.rmtree(context.workdir, ignore_errors=True)


def execute_check(kind: str, spec: dict, context: CheckContext) -> CheckResult:
    return EXECUTORS[kind](spec, context)


def _artifact_integrity(spec: dict, context: CheckContext) -> CheckResult:
    version = context.candidate
    path = artifact_uri_to_path(version.storage_location or "")
    if path is None or not version.artifacts_held:
        return CheckResult(CheckStatus.ERROR, "external source", "artifacts held by this registry",
                           f"External source: the artifacts are not held by this registry "
                           f"({version.storage_location or version.source}); their integrity cannot be verified.")
    files = list(artifact_walk(path))
    if not files:
        return CheckResult(CheckStatus.FAILED, "no files", "an MLflow model", f"No artifacts exist under {path}.")
    if "MLmodel" not in files:
        return CheckResult(CheckStatus.FAILED, f"{len(files)} files, no MLmodel", "an MLmodel file",
                           "The artifacts have no MLmodel file at their root: this is not an MLflow model.")
    try:
        with artifact_open(f"{path}/MLmodel") as handle:
            mlmodel = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        return CheckResult(CheckStatus.FAILED, "unparsable MLmodel", "a YAML MLmodel file",
                           f"The MLmodel file does not parse: {error}")
    if not isinstance(mlmodel, dict) or not mlmodel.get("flavors"):
        return CheckResult(CheckStatus.FAILED, "MLmodel without flavors", "an MLmodel with flavors",
                           "The MLmodel file names no flavor the model could be loaded with.")
    current = artifacts_content_hash(path)
    for label, recorded in (("registration", version.content_hash), ("the run was requested", context.expected_hash)):
        if recorded and current != recorded:
            return CheckResult(CheckStatus.FAILED, current[:12], recorded[:12],
                               f"The artifacts changed since {label}: content hash {current[:12]}, "
                               f"recorded {recorded[:12]}.")
    flavors = ", ".join(sorted(mlmodel["flavors"]))
    return CheckResult(CheckStatus.PASSED, current[:12], (version.content_hash or current)[:12],
                       f"{len(files)} files; MLmodel parses (flavors: {flavors}); content hash matches the "
                       "registration.")


def version_metrics(version: ModelVersion | None) -> dict[str, float | None]:
    """The latest value of each metric of the version's source run (or of its logged model's run)."""
    if version is None:
        return {}
    run_id = version.run_id or (version.logged_model.source_run_id if version.logged_model_id else None)
    if run_id is None:
        return {}
    return {row.key: (None if row.is_nan else row.value) for row in LatestMetric.objects.filter(run_id=run_id)}


def _metric_threshold(spec: dict, context: CheckContext) -> CheckResult:
    rule = spec["rule"]
    observed = version_metrics(context.candidate).get(rule["metric"])
    return CheckResult.of(threshold_outcome(metric=rule["metric"], observed=observed, op=rule["op"],
                                            value=rule["value"], source="the source run"))


def _champion_comparison(spec: dict, context: CheckContext) -> CheckResult:
    rule = spec["rule"]
    candidate = version_metrics(context.candidate).get(rule["metric"])
    if context.champion is None:
        return _without_champion(rule, candidate, "the source run")
    baseline = version_metrics(context.champion).get(rule["metric"])
    return CheckResult.of(champion_outcome(metric=rule["metric"], candidate=candidate, baseline=baseline, rule=rule,
                                           champion_label=context.champion_label))


def _without_champion(rule: dict, candidate: float | None, source: str) -> CheckResult:
    """Nothing occupies the target yet: only the rule's absolute threshold applies."""
    if rule.get("threshold") is None:
        observed = "missing" if candidate is None else format_number(candidate)
        return CheckResult(CheckStatus.PASSED, observed, "no champion",
                           "Nothing occupies the target yet: there is no champion to compare with.")
    only_threshold = {"metric": rule["metric"], "greater_is_better": rule["greater_is_better"],
                      "threshold": rule["threshold"]}
    outcome = champion_outcome(metric=rule["metric"], candidate=candidate, baseline=None, rule=only_threshold,
                               champion_label="none")
    return CheckResult.of(Outcome(outcome.passed, outcome.observed, outcome.expected,
                                  f"No champion to compare with ({source}); threshold only: {outcome.message}"))


def _load_and_score(spec: dict, context: CheckContext) -> CheckResult:
    dataset = spec["dataset"]
    outcome = context.score(context.candidate, dataset)
    expected = f"{dataset['task_type']} metrics on '{dataset['target_column']}'"
    details = {**outcome.evidence(), "dataset_content_hash": dataset.get("content_hash", "")}
    isolation = f" (sandbox: {outcome.isolation.kind})" if outcome.isolation else ""
    if outcome.status == "ok":
        observed = ", ".join(f"{name}={format_number(value)}" for name, value in outcome.metrics.items())
        return CheckResult(CheckStatus.PASSED, observed[:500], expected, outcome.message + isolation, details)
    status = CheckStatus.FAILED if outcome.status == "failed" else CheckStatus.ERROR
    return CheckResult(status, outcome.status, expected, outcome.message + isolation, details)


def _score_threshold(spec: dict, context: CheckContext) -> CheckResult:
    dataset, rule = spec["dataset"], spec["rule"]
    outcome = context.score(context.candidate, dataset)
    if outcome.status != "ok":
        return _not_scored(dataset, outcome)
    return CheckResult.of(threshold_outcome(metric=rule["metric"], observed=outcome.metrics.get(rule["metric"]),
                                            op=rule["op"], value=rule["value"],
                                            source=f"scored on {dataset['name']}"), outcome.evidence())


def _score_champion_comparison(spec: dict, context: CheckContext) -> CheckResult:
    dataset, rule = spec["dataset"], spec["rule"]
    outcome = context.score(context.candidate, dataset)
    if outcome.status != "ok":
        return _not_scored(dataset, outcome)
    candidate = outcome.metrics.get(rule["metric"])
    if context.champion is None:
        return _without_champion(rule, candidate, f"scored on {dataset['name']}")
    champion_scores = context.score(context.champion, dataset)
    if champion_scores.status != "ok":
        return CheckResult(CheckStatus.ERROR, format_number(candidate), "champion scored",
                           f"The champion ({context.champion_label}) could not be scored on {dataset['name']}: "
                           f"{champion_scores.message}")
    return CheckResult.of(champion_outcome(metric=rule["metric"], candidate=candidate,
                                           baseline=champion_scores.metrics.get(rule["metric"]), rule=rule,
                                           champion_label=context.champion_label),
                          {**outcome.evidence(), "champion": champion_scores.evidence()})


def _not_scored(dataset: dict, outcome: ScoreOutcome) -> CheckResult:
    status = CheckStatus.FAILED if outcome.status == "failed" else CheckStatus.ERROR
    return CheckResult(status, "not scored", "", f"The model was not scored on {dataset['name']}: {outcome.message}")


def _score(context: CheckContext, version: ModelVersion, dataset: dict) -> ScoreOutcome:
    try:
        model_dir = context.model_dir(version)
        dataset_file = context.dataset_file(dataset)
    except FileNotFoundError as missing:
        return ScoreOutcome(status="error", metrics={}, message=str(missing))
    except DatasetHashMismatch as mismatch:
        return ScoreOutcome(status="failed", metrics={}, message=str(mismatch))
    return score_in_sandbox(
        model_dir=model_dir, dataset_path=dataset_file, dataset_format=dataset["file_format"],
        target_column=dataset["target_column"], task_type=dataset["task_type"],
    )


def _materialize_version(version: ModelVersion, target: Path) -> Path:
    """Copy the version's files from the artifact store into a local folder the sandbox can read."""
    path = artifact_uri_to_path(version.storage_location or "")
    files = list(artifact_walk(path)) if path is not None else []
    if not files:
        raise FileNotFoundError(f"Version {version.version} has no artifacts in the registry's store to load.")
    for relative in files:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        with artifact_open(f"{path}/{relative}") as source, open(destination, "wb") as sink:
            shutil.copyfileobj(source, sink)
    return target


class DatasetHashMismatch(Exception):
    """The dataset's bytes are not the ones recorded when it was uploaded (or when the policy was frozen)."""


def _materialize_dataset(dataset: dict, workdir: Path) -> Path:
    """Copy the dataset out of its storage, verifying its hash against the row and the frozen snapshot."""
    row = ValidationDataset.objects.filter(pk=dataset["id"]).first()
    if row is None:
        raise FileNotFoundError(f"Validation dataset '{dataset['name']}' was deleted.")
    storage = dataset_storage()
    if not storage.exists(row.storage_path):
        raise FileNotFoundError(f"The file of validation dataset '{dataset['name']}' is missing from storage.")
    destination = workdir / f"dataset-{row.pk}.{row.file_format}"
    digest = hashlib.sha256()
    with storage.open(row.storage_path, "rb") as source, open(destination, "wb") as sink:
        for chunk in iter(lambda: source.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
            sink.write(chunk)
    found = digest.hexdigest()
    frozen = dataset.get("content_hash", row.content_hash)
    for label, recorded in (("recorded at upload", row.content_hash), ("frozen in the policy", frozen)):
        if found != recorded:
            destination.unlink()
            raise DatasetHashMismatch(f"Validation dataset '{dataset['name']}' failed its hash check: its file hashes "
                                      f"to sha256 {found[:12]}, the hash {label} is {recorded[:12]} (hash mismatch; "
                                      "the file was changed on disk).")
    return destination


EXECUTORS = {
    CheckKind.ARTIFACT_INTEGRITY: _artifact_integrity,
    CheckKind.METRIC_THRESHOLD: _metric_threshold,
    CheckKind.CHAMPION_COMPARISON: _champion_comparison,
    CheckKind.LOAD_AND_SCORE: _load_and_score,
    CheckKind.SCORE_THRESHOLD: _score_threshold,
    CheckKind.SCORE_CHAMPION_COMPARISON: _score_champion_comparison,
}
