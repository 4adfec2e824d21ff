"""Writes to runs: lifecycle, params, metrics (in bulk), tags, dataset inputs and model outputs."""
import math
from dataclasses import dataclass

from django.db import transaction

from ..choices import AuditAction, LifecycleStage, RunStatus
from ..exceptions import InvalidParameter, NotFound
from ..models import (
    Dataset,
    Experiment,
    LatestMetric,
    LoggedModelMetric,
    Metric,
    Param,
    Run,
    RunInput,
    RunModelInput,
    RunOutput,
    RunTag,
)
from ..models.base import now_ms
from ..selectors.tracking import logged_models_readable
from .audit import audit_record
from .common import (
    MAX_PARAM_VALUE_LENGTH,
    experiment_authorize,
    require_text,
    upsert_key_values,
    user_or_none,
    validate_key_value,
)

RUN_NAME_TAG = "mlflow.runName"
PARENT_RUN_TAG = "mlflow.parentRunId"
MAX_METRICS_PER_BATCH = 10_000
MAX_PARAMS_PER_BATCH = 1_000
MAX_TAGS_PER_BATCH = 1_000
# Column widths: longer values must be a 400 naming the field, not a database error.
MAX_RUN_NAME_LENGTH = 250
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36  # also the width of source_type
MAX_LOGGED_MODEL_ID_LENGTH = 64
_FLOAT_MAX = 1.7976931348623157e308


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    timestamp: int
    step: int = 0
    model_id: str = ""
    # The dataset a logged model's metric was computed on (MLflow 3); kept on the logged model's points.
    dataset_name: str = ""
    dataset_digest: str = ""

    @classmethod
    def parse(cls, *, key, value, timestamp, step=0, model_id="", dataset_name="", dataset_digest="") -> "MetricPoint":
        key = require_text(key, "metric key", max_length=250)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidParameter(f"Got invalid value {value!r} for metric '{key}': it must be a number.") from None
        return cls(key=key, value=number, timestamp=_integer(timestamp, f"timestamp of metric '{key}'"),
                   step=_integer(step or 0, f"step of metric '{key}'"),
                   model_id=_optional_text(model_id, "model_id", MAX_LOGGED_MODEL_ID_LENGTH),
                   dataset_name=_optional_text(dataset_name, "dataset_name", MAX_DATASET_NAME_LENGTH),
                   dataset_digest=_optional_text(dataset_digest, "dataset_digest", MAX_DATASET_DIGEST_LENGTH))

    @property
    def stored_value(self) -> float | None:
        """NaN becomes NULL (with is_nan), ±inf the largest float, as MLflow's SQL store does."""
        if math.isnan(self.value):
            return None
        if math.isinf(self.value):
            return math.copysign(_FLOAT_MAX, self.value)
        return self.value

    @property
    def order_key(self) -> tuple:
        # MLflow's "latest" is the max of (step, timestamp, value), NaN lowest.
        return (self.step, self.timestamp, -math.inf if math.isnan(self.value) else self.value)


def _optional_text(value, field: str, max_length: int) -> str:
    return require_text(value, field, max_length=max_length) if value not in (None, "") else ""


def _integer(value, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidParameter(f"The {what} must be an integer, got {value!r}.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameter(f"The {what} must be an integer, got {value!r}.") from None
    if isinstance(value, float) and number != value:
        raise InvalidParameter(f"The {what} must be an integer, got {value!r}.")
    return number


def run_create(
    *, experiment: Experiment, actor, user_id: str = "", run_name: str = "", start_time: int | None = None,
    tags: list[tuple[str, str]] = ()
) -> Run:
    """A new run in `experiment`, which needs EDIT on it (runs inherit their experiment's permission)."""
    experiment_authorize(actor=actor, experiment=experiment)
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"The experiment {experiment.pk} must be in the 'active' state. Current state is deleted."
        )
    clean_tags = dict(validate_key_value(key, value, what="tag") for key, value in tags)
    run_name = run_name or clean_tags.get(RUN_NAME_TAG, "")
    if run_name:
        clean_tags[RUN_NAME_TAG] = _run_name_check(run_name)
    with transaction.atomic():
        run = Run(experiment=experiment, name=run_name, user_id=user_id or "", created_by=user_or_none(actor),
                  start_time=_integer(start_time, "start_time") if start_time is not None else now_ms())
        run.artifact_uri = f"{experiment.artifact_location.rstrip('/')}/{run.run_uuid}/artifacts"
        run.save(force_insert=True)
        upsert_key_values(RunTag, "run", run, clean_tags.items())
    return run


def run_update(*, run: Run, actor, status: str | None = None, end_time: int | None = None,
               run_name: str | None = None):
    run_authorize(run, actor)
    require_run_active(run)
    fields = []
    if status:
        if status not in RunStatus.values:
            allowed = ", ".join(RunStatus.values)
            raise InvalidParameter(f"Invalid run status '{status}'. Value must be one of {allowed}.")
        run.status = status
        fields.append("status")
    if end_time is not None:
        run.end_time = _integer(end_time, "end_time")
        fields.append("end_time")
    with transaction.atomic():
        if run_name:
            run.name = _run_name_check(run_name)
            fields.append("name")
            upsert_key_values(RunTag, "run", run, [(RUN_NAME_TAG, run_name)])
        if fields:
            run.save(update_fields=fields)
    return run


def _run_name_check(run_name) -> str:
    return require_text(run_name, "run_name", max_length=MAX_RUN_NAME_LENGTH)


def run_delete(*, run: Run, actor, entry_point: str) -> None:
    _set_lifecycle(run, LifecycleStage.DELETED, AuditAction.RUN_DELETED, actor, entry_point, deleted_time=now_ms())


def run_restore(*, run: Run, actor, entry_point: str) -> None:
    _set_lifecycle(run, LifecycleStage.ACTIVE, AuditAction.RUN_RESTORED, actor, entry_point, deleted_time=None)


def _set_lifecycle(run, stage, action, actor, entry_point, *, deleted_time):
    run_authorize(run, actor)
    with transaction.atomic():
        run.lifecycle_stage = stage
        run.deleted_time = deleted_time
        run.save(update_fields=["lifecycle_stage", "deleted_time"])
        audit_record(action=action, actor=actor, entry_point=entry_point, object_type="run", object_id=run.pk,
                     details={"experiment_id": str(run.experiment_id)})


def run_authorize(run: Run, actor) -> None:
    """Writing to a run (its metrics, params, tags, inputs, outputs, lifecycle) needs EDIT on its experiment."""
    experiment_authorize(actor=actor, experiment=run.experiment)


def require_run_active(run: Run) -> None:
    if run.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"The run {run.pk} must be in the 'active' state. Current state is {run.lifecycle_stage}."
        )


def run_log_batch(
    *,
    run: Run,
    actor,
    metrics: list[MetricPoint] = (),
    params: list[tuple[str, str]] = (),
    tags: list[tuple[str, str]] = (),
) -> None:
    """Write a batch of metrics, params and tags with a fixed number of statements, whatever its size.

    Statements: lock the run; read the params already logged under the batch's keys; insert new
    params; upsert tags; insert metric points; read the latest values of the batch's keys; upsert
    the keys whose latest value the batch moves; insert logged-model metrics. Needs EDIT on the run's
    experiment, and on the experiments of the logged models that points name.
    """
    run_authorize(run, actor)
    _check_batch_limits(metrics, params, tags)
    _require_logged_models({point.model_id for point in metrics if point.model_id}, actor)
    clean_params = _dedupe_params(run, [validate_key_value(k, v, what="param",
                                                           max_value_length=MAX_PARAM_VALUE_LENGTH)
                                        for k, v in params])
    clean_tags = [validate_key_value(key, value, what="tag") for key, value in tags]
    if new_name := dict(clean_tags).get(RUN_NAME_TAG):
        _run_name_check(new_name)
    with transaction.atomic():
        # The lock orders concurrent batches of one run, so the latest-value rows stay right.
        run = Run.objects.select_for_update().get(pk=run.pk)
        require_run_active(run)
        _insert_params(run, clean_params)
        upsert_key_values(RunTag, "run", run, clean_tags)
        if new_name:
            Run.objects.filter(pk=run.pk).update(name=new_name)
        if metrics:
            _insert_metrics(run, metrics)


def _check_batch_limits(metrics, params, tags) -> None:
    for items, limit, what in ((metrics, MAX_METRICS_PER_BATCH, "metrics"), (params, MAX_PARAMS_PER_BATCH, "params"),
                               (tags, MAX_TAGS_PER_BATCH, "tags")):
        if len(items) > limit:
            raise InvalidParameter(f"A batch may hold at most {limit} {what}; got {len(items)}.")


def _dedupe_params(run, params):
    seen = {}
    for key, value in params:
        if key in seen and seen[key] != value:
            raise InvalidParameter(
                f"Duplicate parameter keys have been submitted: '{key}' with values '{seen[key]}' and '{value}'."
            )
        seen[key] = value
    return seen


def _insert_params(run, params: dict[str, str]) -> None:
    if not params:
        return
    existing = dict(Param.objects.filter(run=run, key__in=params).values_list("key", "value"))
    for key, value in params.items():
        if key in existing and existing[key] != value:
            raise InvalidParameter(
                f"Changing param values is not allowed. Param with key='{key}' was already logged with "
                f"value='{existing[key]}' for run ID='{run.pk}'. Attempted logging new value '{value}'."
            )
    Param.objects.bulk_create([Param(run=run, key=k, value=v) for k, v in params.items() if k not in existing])


def _insert_metrics(run, metrics: list[MetricPoint]) -> None:
    Metric.objects.bulk_create([
        Metric(run=run, key=p.key, value=p.stored_value, is_nan=math.isnan(p.value), timestamp=p.timestamp,
               step=p.step, model_id=p.model_id)
        for p in metrics
    ])
    newest: dict[str, MetricPoint] = {}
    for point in metrics:
        if point.key not in newest or point.order_key >= newest[point.key].order_key:
            newest[point.key] = point
    current = {row.key: row for row in LatestMetric.objects.filter(run=run, key__in=newest)}
    moved = [p for key, p in newest.items() if key not in current or p.order_key >= _latest_order_key(current[key])]
    LatestMetric.objects.bulk_create(
        [LatestMetric(run=run, key=p.key, value=p.stored_value, is_nan=math.isnan(p.value), timestamp=p.timestamp,
                      step=p.step) for p in moved],
        update_conflicts=True,
        unique_fields=["run", "key"],
        update_fields=["value", "is_nan", "timestamp", "step"],
    )
    model_points = [p for p in metrics if p.model_id]
    if model_points:
        LoggedModelMetric.objects.bulk_create([
            LoggedModelMetric(logged_model_id=p.model_id, run_id=run.pk, key=p.key, value=p.stored_value,
                              timestamp=p.timestamp, step=p.step, dataset_name=p.dataset_name,
                              dataset_digest=p.dataset_digest)
            for p in _distinct(model_points)
        ])


def _distinct(points: list[MetricPoint]) -> list[MetricPoint]:
    # MLflow keeps one logged-model point per (model, key, timestamp, step) and run: a repeated point is logged once.
    return list(dict.fromkeys(points))


def _require_logged_models(model_ids: set[str], actor) -> None:
    """Every logged model named exists, and `actor` may edit its experiment (metrics on it are its evidence).

    The foreign key is checked only at commit on PostgreSQL, which would turn a wrong id into a 500. A model
    whose experiment `actor` cannot read is answered as missing."""
    if not model_ids:
        return
    known = {model.pk: model for model in logged_models_readable(actor).filter(pk__in=model_ids)
             .select_related("experiment")}
    if missing := sorted(model_ids - set(known)):
        raise NotFound(f"Logged model with ID '{missing[0]}' not found.")
    for experiment in {model.experiment_id: model.experiment for model in known.values()}.values():
        experiment_authorize(actor=actor, experiment=experiment)


def _latest_order_key(row: LatestMetric) -> tuple:
    return (row.step, row.timestamp, -math.inf if row.is_nan else row.value)


def run_log_param(*, run: Run, key: str, value: str, actor) -> None:
    run_log_batch(run=run, params=[(key, value)], actor=actor)


def run_log_metric(*, run: Run, point: MetricPoint, actor) -> None:
    run_log_batch(run=run, metrics=[point], actor=actor)


def run_set_tag(*, run: Run, key: str, value: str, actor) -> None:
    run_log_batch(run=run, tags=[(key, value)], actor=actor)


def run_delete_tag(*, run: Run, key: str, actor) -> None:
    run_authorize(run, actor)
    require_run_active(run)
    deleted, _ = RunTag.objects.filter(run=run, key=key).delete()
    if not deleted:
        raise InvalidParameter(f"No tag with name: {key} in run with id {run.pk}")


@dataclass(frozen=True)
class DatasetInput:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str = ""
    profile: str = ""
    tags: tuple[tuple[str, str], ...] = ()


def run_log_inputs(*, run: Run, inputs: list[DatasetInput], actor, model_ids: list[str] = ()) -> None:
    """Record the datasets and the logged models a run used (MLflow's runs/log-inputs; EDIT on the run)."""
    run_authorize(run, actor)
    require_run_active(run)
    model_ids = [require_text(model_id, "model_id", max_length=MAX_LOGGED_MODEL_ID_LENGTH) for model_id in model_ids]
    with transaction.atomic():
        RunModelInput.objects.bulk_create([RunModelInput(run=run, model_id=model_id) for model_id in model_ids],
                                          ignore_conflicts=True)
        for item in inputs:
            if len(item.source_type or "") > MAX_DATASET_DIGEST_LENGTH:
                raise InvalidParameter(
                    f"Parameter 'dataset source_type' is longer than {MAX_DATASET_DIGEST_LENGTH} characters."
                )
            dataset, _ = Dataset.objects.get_or_create(
                experiment_id=run.experiment_id,
                name=require_text(item.name, "dataset name", max_length=MAX_DATASET_NAME_LENGTH),
                digest=require_text(item.digest, "dataset digest", max_length=MAX_DATASET_DIGEST_LENGTH),
                defaults={"source_type": item.source_type, "source": item.source, "schema": item.schema,
                          "profile": item.profile},
            )
            RunInput.objects.update_or_create(
                run=run, dataset=dataset, defaults={"tags": [{"key": k, "value": v} for k, v in item.tags]}
            )


def run_log_outputs(*, run: Run, outputs: list[tuple[str, int]], actor) -> None:
    """Link logged models to the run that produced them (runs/outputs)."""
    run_authorize(run, actor)
    require_run_active(run)
    RunOutput.objects.bulk_create(
        [RunOutput(run=run, model_id=require_text(model_id, "model_id", max_length=MAX_LOGGED_MODEL_ID_LENGTH),
                   step=_integer(step or 0, "step"))
         for model_id, step in outputs],
        ignore_conflicts=True,
    )
