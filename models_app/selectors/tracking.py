"""Reads of experiments, runs, metric history and logged models."""
from django.db.models import Prefetch, QuerySet

from ..choices import LifecycleStage
from ..exceptions import InvalidParameter, NotFound
from ..models import Experiment, LatestMetric, LoggedModel, LoggedModelMetric, Metric, Param, Run, RunInput, RunTag


def experiment_get(*, experiment_id) -> Experiment:
    try:
        pk = int(str(experiment_id))
    except (TypeError, ValueError):
        raise InvalidParameter(f"Parameter 'experiment_id' must be an integer, got '{experiment_id}'.") from None
    experiment = Experiment.objects.prefetch_related("tags").filter(pk=pk).first()
    if experiment is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    return experiment


def experiment_get_by_name(*, name: str) -> Experiment:
    experiment = Experiment.objects.prefetch_related("tags").filter(name=name).first()
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


def run_get(*, run_id: str) -> Run:
    if not run_id:
        raise InvalidParameter("Missing value for required parameter 'run_id'.")
    run = run_with_details(Run.objects.filter(pk=run_id)).select_related("created_by").prefetch_related(
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


def logged_model_get(*, model_id: str, allow_deleted: bool = False) -> LoggedModel:
    """A logged model by id; a deleted one answers 404 as a missing one, unless `allow_deleted` (MLflow's flag)."""
    queryset = LoggedModel.objects.filter(pk=model_id)
    if not allow_deleted:
        queryset = queryset.exclude(lifecycle_stage=LifecycleStage.DELETED)
    model = logged_model_with_details(queryset).first()
    if model is None:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return model
