"""Reads for the dashboard's registry pages; each page costs a fixed number of queries, whatever its size."""
from dataclasses import dataclass
from itertools import chain

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet

from ..models import ModelVersion, ModelVersionTag, RegisteredModelAlias, Run
from .registry import (
    alias_history,
    latest_versions_per_stage,
    registered_model_get,
    registered_model_with_details,
    registered_models_visible,
    stage_history,
)
from .tracking import run_with_details

MODEL_SORTS = {
    "name": ("name",),
    "-name": ("-name",),
    "updated": ("last_updated_timestamp", "name"),
    "-updated": ("-last_updated_timestamp", "name"),
}
MODELS_PER_PAGE = 25
VERSIONS_PER_PAGE = 50
TIMELINE_LENGTH = 100


def registered_model_list_page(*, actor, query: str = "", sort: str = "name", page=1) -> Page:
    """One page of models whose name contains `query`, each with `latest_versions` (highest per stage).

    Queries: count, the page's models, their tags, aliases, versions, the versions' tags and aliases.
    """
    models = registered_models_visible(actor)
    if query:
        models = models.filter(name__icontains=query)
    models = registered_model_with_details(models.order_by(*MODEL_SORTS.get(sort, MODEL_SORTS["name"])))
    result = Paginator(models, MODELS_PER_PAGE).get_page(page)
    result.object_list = list(result.object_list)
    for model in result.object_list:
        model.latest_versions = latest_versions_per_stage(model.all_versions)
    return result


def model_versions_for_page(queryset: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    related = queryset.select_related("registered_model", "run__experiment", "created_by", "logged_model")
    return related.prefetch_related(
        Prefetch("aliases", queryset=RegisteredModelAlias.objects.order_by("alias")),
        Prefetch("tags", queryset=ModelVersionTag.objects.order_by("key")),
    )


def registered_model_page(*, name: str, actor, page=1):
    """The model (tags, aliases prefetched) and one page of its versions, newest first."""
    model = registered_model_get(name=name, actor=actor)
    versions = model_versions_for_page(ModelVersion.objects.filter(registered_model=model).order_by("-version"))
    return model, Paginator(versions, VERSIONS_PER_PAGE).get_page(page)


@dataclass(frozen=True)
class TimelineEntry:
    created_at: object
    kind: str  # "stage" or "alias"
    record: object


def registered_model_timeline(*, registered_model) -> list[TimelineEntry]:
    """The latest stage changes and alias moves of a model, newest first, merged into one list."""
    stages = stage_history(registered_model=registered_model).order_by("-created_at", "-id")[:TIMELINE_LENGTH]
    aliases = alias_history(registered_model=registered_model).order_by("-created_at", "-id")[:TIMELINE_LENGTH]
    entries = chain((TimelineEntry(row.created_at, "stage", row) for row in stages),
                    (TimelineEntry(row.created_at, "alias", row) for row in aliases))
    return sorted(entries, key=lambda entry: entry.created_at, reverse=True)[:TIMELINE_LENGTH]


@dataclass(frozen=True)
class ComparisonRow:
    kind: str  # "param" or "metric"
    key: str
    left: object
    right: object

    @property
    def differs(self) -> bool:
        return self.left != self.right


def model_versions_compare(*, registered_model, left: int, right: int) -> tuple[list[ModelVersion], list]:
    """The two versions (with their source runs' params and latest metrics) and one row per key of either."""
    versions = ModelVersion.objects.filter(registered_model=registered_model, version__in=[left, right])
    versions = versions.prefetch_related(Prefetch("run", queryset=run_with_details(Run.objects.all())))
    by_number = {version.version: version for version in versions}
    pair = [by_number.get(left), by_number.get(right)]
    rows = []
    for kind, attribute in (("param", "params"), ("metric", "latest_metrics")):
        values = [_values_of(version, attribute) for version in pair]
        for key in sorted(set(values[0]) | set(values[1])):
            rows.append(ComparisonRow(kind, key, values[0].get(key), values[1].get(key)))
    return pair, rows


def _values_of(version: ModelVersion | None, attribute: str) -> dict:
    if version is None or version.run is None:
        return {}
    return {row.key: row.value for row in getattr(version.run, attribute).all()}
