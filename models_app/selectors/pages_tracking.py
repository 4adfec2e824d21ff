"""Reads for the dashboard's experiment, run and version pages, each in a fixed number of queries."""
from collections import defaultdict

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, FloatField, IntegerField, Q, Window
from django.db.models.functions import Cast, Ceil, Mod, RowNumber

from ..choices import LifecycleStage
from ..models import Experiment, Metric, ModelVersion, Run
from ..services.artifacts import artifact_list_below, artifact_uri_to_path
from .registry import model_version_get, registered_models_visible, stage_history
from .search import SearchPage, page_token_encode, run_search
from .tracking import experiments_readable, run_with_details, runs_readable

EXPERIMENTS_PER_PAGE = 50
RUNS_PER_PAGE = 25
# A chart of more points than this is drawn from an evenly thinned sample: a laptop screen has ~1,300 pixels.
MAX_POINTS_PER_METRIC = 2000
PARENT_RUN_TAG = "mlflow.parentRunId"


def experiment_list_page(*, actor, query: str = "", page=1) -> Page:
    """Active experiments `actor` may read with their count of active runs. Queries: count, the page."""
    experiments = experiments_readable(actor).filter(lifecycle_stage=LifecycleStage.ACTIVE)
    if query:
        experiments = experiments.filter(name__icontains=query)
    experiments = experiments.annotate(
        run_count=Count("runs", filter=Q(runs__lifecycle_stage=LifecycleStage.ACTIVE))
    ).order_by("-creation_time", "pk")
    return Paginator(experiments, EXPERIMENTS_PER_PAGE).get_page(page)


def run_order_by(sort: str) -> list[str]:
    """`metric:acc`, `-param:lr`, `-start_time` -> MLflow order_by clauses (the key is back-quoted)."""
    if not sort:
        return []
    direction = "DESC" if sort.startswith("-") else "ASC"
    field = sort.lstrip("-")
    kind, _, key = field.partition(":")
    if key and kind in ("metric", "param"):
        return [f"{kind}s.`{key}` {direction}"]
    return [f"attribute.{field} {direction}"]


def experiment_runs_page(*, experiment: Experiment, actor, filter_string: str = "", sort: str = "", page: int = 1):
    """One page of the experiment's runs, searched with MLflow's filter language; raises FilterSyntaxError.

    Returns the SearchPage and the metric and param keys logged by the page's runs (the table's columns).
    """
    result: SearchPage = run_search(
        actor=actor, experiment_ids=[experiment.pk], filter_string=filter_string, order_by=run_order_by(sort),
        max_results=RUNS_PER_PAGE, page_token=page_token_encode((page - 1) * RUNS_PER_PAGE),
    )
    metric_keys = sorted({row.key for run in result.items for row in run.latest_metrics.all()})
    param_keys = sorted({row.key for run in result.items for row in run.params.all()})
    for run in result.items:
        run.metric_values = {row.key: row.value for row in run.latest_metrics.all()}
        run.param_values = {row.key: row.value for row in run.params.all()}
    return result, metric_keys, param_keys


def run_page(*, run_id: str, actor) -> Run | None:
    """The run with metrics, params, tags, inputs, its parent and its child runs, and the versions registered
    from it, each only if `actor` may read it; None if the run does not exist or is not readable."""
    readable = runs_readable(actor)
    run = run_with_details(readable.filter(pk=run_id)).select_related("created_by").first()
    if run is None:
        return None
    parent_id = next((tag.value for tag in run.tags.all() if tag.key == PARENT_RUN_TAG), None)
    run.parent = readable.filter(pk=parent_id).first() if parent_id else None
    run.children = list(readable.filter(tags__key=PARENT_RUN_TAG, tags__value=run.pk).order_by("-start_time"))
    run.versions = list(ModelVersion.objects.filter(run=run, registered_model__in=registered_models_visible(actor))
                        .select_related("registered_model"))
    return run


def metric_histories(*, run_ids: list[str]) -> dict[str, dict[str, list[list]]]:
    """{metric key: {run id: [[step...], [value...]]}} for chart drawing, in one query for all runs and keys.

    The database thins each series to about MAX_POINTS_PER_METRIC evenly spaced points (plus the last one),
    so a run with millions of points costs the page no more memory than a small one.
    """
    series_of = [F("run_id"), F("key")]
    rows = Metric.objects.filter(run_id__in=run_ids).annotate(
        position=Window(RowNumber(), partition_by=series_of, order_by=[F("step"), F("timestamp"), F("id")]),
        total=Window(Count("id"), partition_by=series_of),
    ).annotate(stride=Cast(Ceil(Cast(F("total"), FloatField()) / MAX_POINTS_PER_METRIC), IntegerField()))
    rows = rows.annotate(offset=Mod(F("position") - 1, F("stride"))).filter(Q(offset=0) | Q(position=F("total")))
    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [[], []]))
    for key, run_id, step, value in rows.order_by("key", "run_id", "position").values_list("key", "run_id", "step",
                                                                                            "value"):
        series = grouped[key][run_id]
        series[0].append(step)
        series[1].append(value)
    return {key: dict(by_run) for key, by_run in grouped.items()}


def runs_for_compare(*, run_ids: list[str], actor) -> list[Run]:
    """The runs among `run_ids` that `actor` may read, in the order asked for."""
    runs = run_with_details(runs_readable(actor).filter(pk__in=run_ids))
    order = {run_id: index for index, run_id in enumerate(run_ids)}
    return sorted(runs, key=lambda run: order[run.pk])


def model_version_page(*, name: str, version: int, actor) -> ModelVersion:
    """The version with its lineage: experiment, source run (params, metrics), logged model, stage history."""
    found = model_version_get(name=name, version=version, actor=actor)
    # The source run only when its experiment is readable too: the model's readers need not see the team's runs.
    found.source_run = run_with_details(runs_readable(actor).filter(pk=found.run_id)).first() if found.run_id else None
    found.logged_model_row = found.logged_model if found.logged_model_id else None
    found.stage_history = list(stage_history(registered_model=found.registered_model, version=found.version)
                               .order_by("-created_at", "-id"))
    return found


def artifacts_of(*, root_uri: str, path: str = "") -> tuple[str | None, list[dict]]:
    """The artifact folder `path` below the URI's root, as (root path, entries with paths relative to the root)."""
    root = artifact_uri_to_path(root_uri or "")
    if root is None:
        return None, []
    entries = artifact_list_below(root_uri=root_uri, path=path)
    for entry in entries:
        entry["relative"] = entry["path"]
        entry["name"] = entry["relative"].rsplit("/", 1)[-1]
    return root, entries


