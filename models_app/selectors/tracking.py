"""Reads of experiments, runs, metric history and logged models, limited to the experiments the actor may read.

An object the actor may not read is answered exactly like one that does not exist, so its existence does not
leak. Runs, logged models and their rows inherit their experiment's permission.
"""
from django.db.models import Prefetch, QuerySet

from ..choices import LifecycleStage
from ..exceptions import InvalidParameter, NotFound
from ..governance import current_governance
from ..models import Experiment, LatestMetric, LoggedModel, LoggedModelMetric, Metric, Param, Run, RunInput, RunTag


def experiments_readable(actor) -> QuerySet[Experiment]:
    """Experiments `actor` may read (one query, the permission filter as a subquery)."""
    condition = current_governance().readable_experiments_filter(actor)
    return Experiment.objects.filter(condition) if condition is not None else Experiment.objects.all()


def in_readable_experiments(queryset: QuerySet, actor, *, field: str = "experiment") -> QuerySet:
    """`queryset` (of rows with an experiment foreign key at `field`) limited to readable experiments."""
    condition = current_governance().readable_experiments_filter(actor)
    if condition is None:
        return queryset
    return queryset.filter(**{f"{field}__in": Experiment.objects.filter(condition).values("pk")})


def experiment_readable(actor, experiment_id: int | None) -> bool:
    """Whether `actor` may read the experiment (no query when the default lets everyone read)."""
    condition = current_governance().readable_experiments_filter(actor)
    if experiment_id is None or condition is None:
        return experiment_id is not None
    return Experiment.objects.filter(condition, pk=experiment_id).exists()


def experiment_get(*, experiment_id, actor) -> Experiment:
    try:
        pk = int(str(experiment_id))
    except (TypeError, ValueError):
        raise InvalidParameter(f"Parameter 'experiment_id' must be an integer, got '{experiment_id}'.") from None
    experiment = experiments_readable(actor).prefetch_related("tags").filter(pk=pk).first()
    if experiment is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    return experiment


def experiment_get_by_name(*, name: str, actor) -> Experiment:
    experiment = experiments_readable(actor).prefetch_related("tags").filter(name=name).first()
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return experiment


def run_with_details(queryset: QuerySet[Run]) -> QuerySet[Run]:
    return queryset.select_related("experiment").prefetch_related(
        Prefetch("latest_metrics", queryset=LatestMetric.objects.order_by("key")),
        Prefetch("params", queryset=Param.objects.order_by("key")),
        Prefetch("tags", queryset=RunTag.objects.order_by("key")),
        Prefetch("inputs", queryset=RunInput.objects.select_related("dataset")),
        "outputs",
    )


def runs_readable(actor) -> QuerySet[Run]:
    return in_readable_experiments(Run.objects.all(), actor)


def run_get(*, run_id: str, actor) -> Run:
    if not run_id:
        raise InvalidParameter("Missing value for required parameter 'run_id'.")
    run = run_with_details(runs_readable(actor).filter(pk=run_id)).select_related("created_by").prefetch_related(
        "model_inputs").first()
    if run is None:
        raise NotFound(f"Run with id={run_id} not found")
    return run


def metric_history(*, run: Run, key: str) -> QuerySet[Metric]:
    return Metric.objects.filter(run=run, key=key).order_by("step", "timestamp", "id")


def logged_model_with_details(queryset: QuerySet[LoggedModel]) -> QuerySet[LoggedModel]:
    """Prefetch what the MLflow representation of a logged model reads: tags, params, metrics."""
    return queryset.select_related("experiment", "source_run").prefetch_related(
        "tags", "params", Prefetch("metrics", queryset=LoggedModelMetric.objects.order_by("id")))


def logged_models_readable(actor) -> QuerySet[LoggedModel]:
    return in_readable_experiments(LoggedModel.objects.all(), actor)


def logged_model_get(*, model_id: str, actor, allow_deleted: bool = False) -> LoggedModel:
    """A logged model `actor` may read, by id; a deleted one answers 404 as a missing one, unless `allow_deleted`
    (MLflow's flag)."""
    queryset = logged_models_readable(actor).filter(pk=model_id)
    if not allow_deleted:
        queryset = queryset.exclude(lifecycle_stage=LifecycleStage.DELETED)
    model = logged_model_with_details(queryset).first()
    if model is None:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return model
